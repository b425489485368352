"""The vendor simulator: one test per documented behaviour, over real HTTP on loopback."""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from datetime import date, timedelta

import httpx
import pytest

from chat_assets.simulator import Simulator, SimulatorConfig
from chat_assets.simulator.conversations import day_conversations

DAY = "2025-10-03"


@pytest.fixture(scope="module")
def s() -> Simulator:
    config = SimulatorConfig(
        volume=(8, 12),
        today=date(2025, 10, 6),
        link_ttl_s=0.5,
        wolkvox_max_records=120,
        neoagent_max_days=5,
        neoagent_rate=(10, 60.0),
        wolkvox_hold_s=0.3,
    )
    with Simulator(config) as sim:
        yield sim


def get(s: Simulator, path: str, **kw) -> httpx.Response:  # type: ignore[no-untyped-def]
    return httpx.get(s.url + path, timeout=10, **kw)


# -- Multichat -------------------------------------------------------------------------------
def report(s: Simulator, **over: str) -> dict:
    env = s.env()
    params = {
        "login": env["MULTICHAT_LOGIN"],
        "token": env["MULTICHAT_TOKEN"],
        "tipo_reporte": "conversaciones",
        "numero_oficial": "573007735764",
        "fecha_reporte": DAY,
        **over,
    }
    return httpx.get(env["MULTICHAT_BASE_URL"], params=params, timeout=10).json()


def test_multichat_success_gives_escaped_space_separated_links(s: Simulator) -> None:
    env = s.env()
    params = {
        "login": env["MULTICHAT_LOGIN"],
        "token": env["MULTICHAT_TOKEN"],
        "tipo_reporte": "captura_datos",
        "numero_oficial": "573007735764",
        "fecha_reporte": DAY,
    }
    raw = httpx.get(env["MULTICHAT_BASE_URL"], params=params).text
    assert '"code": 1' in raw and "\\/" in raw  # slashes escaped as in the document
    urls = json.loads(raw)["status"].split(" ")
    assert len(urls) == 2 and urls[0].endswith(f"_captura_datos-22_{DAY}-bot5.csv.zip")


def test_multichat_post_works_like_get(s: Simulator) -> None:
    env = s.env()
    data = {
        "login": env["MULTICHAT_LOGIN"],
        "token": env["MULTICHAT_TOKEN"],
        "tipo_reporte": "conversaciones",
        "numero_oficial": "573007735764",
        "fecha_reporte": DAY,
    }
    assert httpx.post(env["MULTICHAT_BASE_URL"], data=data).json()["code"] == 1


@pytest.mark.parametrize(
    ("over", "code"),
    [
        ({"fecha_reporte": "2025-10-06"}, -1),  # today
        ({"fecha_reporte": "2024-12-31"}, -1),  # before 2025-01-01
        ({"tipo_reporte": "ventas"}, -2),
        ({"token": "wrong"}, -3),
        ({"numero_oficial": "570000000000"}, -4),
    ],
)
def test_multichat_error_codes(s: Simulator, over: dict, code: int) -> None:
    assert report(s, **over)["code"] == code


def test_multichat_zip_holds_a_csv_and_links_expire(s: Simulator) -> None:
    url = report(s)["status"]
    response = httpx.get(url)
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.namelist() == [f"conversaciones-22_{DAY}.csv"]
    time.sleep(0.6)
    assert httpx.get(url).status_code == 403


def test_multichat_csv_dialects_vary_by_day(s: Simulator) -> None:
    from chat_assets.multichat.simulator import dialect_for

    seen = {
        (d["delimiter"], d["encoding"], d["name"])
        for d in (
            dialect_for(s.config, "573007735764", date(2025, 1, 1) + timedelta(days=i)) for i in range(60)
        )
    }
    assert {x[0] for x in seen} == {",", ";"}
    assert {x[1] for x in seen} == {"utf-8", "utf-8-sig", "cp1252"}
    assert {x[2] for x in seen} == {"es", "snake", "en"}


# -- Wolkvox ---------------------------------------------------------------------------------
def wolkvox(s: Simulator, token: str | None = "ok", **params: str) -> httpx.Response:
    headers = {"wolkvox-token": s.env()["WOLKVOX_TOKEN"] if token == "ok" else token} if token else {}
    query = {"api": "chat_2", "date_ini": "20251003000000", "date_end": "20251003235959", **params}
    return httpx.get(
        s.env()["WOLKVOX_BASE_URL"] + "/api/v2/reports_manager.php", params=query, headers=headers, timeout=10
    )


def test_wolkvox_window_returns_local_dates_and_documented_fields(s: Simulator) -> None:
    body = wolkvox(s).json()
    assert body["code"] == 200 and body["msg"].endswith("records were found")
    row = body["data"][0]["conversation"][0]
    assert set(row) >= {
        "channel",
        "from",
        "from_name",
        "to_name",
        "date",
        "message",
        "customer_id",
        "customer_phone",
    }
    assert (
        row["from"] in ("CUSTOMER", "AGENT")
        and len(row["date"]) == 19
        and row["date"].startswith("2025-10-0")
    )


def test_wolkvox_record_cap(s: Simulator) -> None:
    body = wolkvox(s).json()
    records = sum(len(c["conversation"]) for c in body["data"])
    assert records <= 120 and int(body["msg"].split()[0]) == records


@pytest.mark.parametrize(
    ("token", "params", "status", "msg"),
    [
        (None, {}, 401, "PLEASE ENTER THE WOLKVOX-TOKEN"),
        ("bad", {}, 403, "PLEASE VALIDATE TOKEN"),
        ("ok", {"api": "chat_9"}, 400, "THE API YOU WANT TO CONSULT DOES NOT EXIST"),
        ("ok", {"date_ini": "2025"}, 400, "SOME PARAMETERS ARE REQUIRED"),
        ("ok", {"date_ini": "20250801000000"}, 400, "31 DAYS"),
        ("ok", {"date_ini": "20240101000000", "date_end": "20240101000100"}, 404, "VALIDATE THE DATES"),
    ],
)
def test_wolkvox_errors(s: Simulator, token: str | None, params: dict, status: int, msg: str) -> None:
    response = wolkvox(s, token, **params)
    assert response.status_code == status and msg in response.json()["msg"]


def test_wolkvox_overlapping_use_of_a_token_is_refused_and_counted(s: Simulator) -> None:
    before = s.counters().get("wolkvox_overlaps", 0)
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(wolkvox(s).status_code)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 403]
    assert s.counters()["wolkvox_overlaps"] == before + 1


# -- Jelou -----------------------------------------------------------------------------------
BOT = "bot-4f1c2a9e-71d3-4b0e-9a55-2c6e8d3f1a07"


def jelou(
    s: Simulator, bot: str = BOT, auth: tuple[str, str] | None = None, **params: object
) -> httpx.Response:
    env = s.env()
    query = {
        "limit": 50,
        "page": 1,
        "startAt": "2025-10-03T00:00:00.000-05:00",
        "endAt": "2025-10-03T23:59:59.999-05:00",
        **params,
    }
    return httpx.get(
        f"{env['JELOU_BASE_URL']}/v1/external/messages/history/{bot}",
        params=query,
        auth=auth or (env["JELOU_USERNAME"], env["JELOU_PASSWORD"]),
        timeout=10,
    )


def test_jelou_pages_cover_every_message_once(s: Simulator) -> None:
    first = jelou(s, limit=7).json()
    pages, total = first["pagination"]["totalPages"], first["pagination"]["total"]
    ids = [m["messageId"] for p in range(1, pages + 1) for m in jelou(s, limit=7, page=p).json()["results"]]
    assert len(ids) == total == len(set(ids))
    assert first["results"][0]["by"] in ("bot", "user", "operator")
    assert {"recipient", "sender", "by", "messageId", "status", "bubble", "createdAt"} <= set(
        first["results"][0]
    )


def test_jelou_errors_as_documented(s: Simulator) -> None:
    assert jelou(s, auth=("x", "y")).json() == {"message": "Authentication failed"}
    missing = jelou(s, bot="bot-nope")
    assert missing.status_code == 404 and missing.json()["error"]["key"] == "BOT_NOT_FOUND"
    too_many = jelou(s, limit=51)
    assert too_many.status_code == 422 and "limit" in too_many.json()["validationError"]
    bad_date = jelou(s, startAt="ayer")
    assert bad_date.status_code == 422 and bad_date.json()["validationError"]["startAt"][0]["en"] == (
        "the startAt field must be a Date"
    )


# -- Neoagent --------------------------------------------------------------------------------
SERIAL = "36XXGxiYDigrQgg5xz4n45bcBW7qeYyW35"


def neo(s: Simulator, body: dict, key: str | None = None) -> httpx.Response:
    env = s.env()
    return httpx.post(
        env["NEOAGENT_BASE_URL"] + "/chat/Chatbot/ChatContentHistory",
        json=body,
        headers={"Authorization": key or env["NEOAGENT_API_KEY"]},
        timeout=10,
    )


def test_neoagent_errors_limits_and_utc_filter(s: Simulator) -> None:
    ok = neo(s, {"SerialNumber": SERIAL, "StartTime": DAY, "EndTime": DAY}).json()
    assert ok["Success"] is True and all(x["CreateTime"].startswith(DAY) for x in ok["Data"])
    assert {m["Type"] for x in ok["Data"] for m in x["Messages"]} <= {"AI", "User"}
    assert neo(s, {"SerialNumber": SERIAL}, key="nope").json()["Code"] == 401
    unknown = neo(s, {"SerialNumber": "XX", "StartTime": DAY, "EndTime": DAY})
    assert unknown.status_code == 200 and unknown.json() == {**unknown.json(), "Success": False, "Code": 404}
    assert neo(s, {"SerialNumber": SERIAL, "StartTime": "03/10/2025", "EndTime": DAY}).json()["Code"] == 400
    wide = neo(s, {"SerialNumber": SERIAL, "StartTime": "2025-10-01", "EndTime": "2025-10-06"})
    assert wide.status_code == 413 and wide.json()["Code"] == 413


def test_neoagent_rejects_past_ten_a_minute_and_counts_it() -> None:
    with Simulator(SimulatorConfig(volume=(1, 1))) as sim:
        codes = [
            neo(sim, {"SerialNumber": SERIAL, "StartTime": DAY, "EndTime": DAY}).status_code
            for _ in range(11)
        ]
        assert codes == [200] * 10 + [429]
        assert sim.counters()["neoagent_rate_violations"] == 1


# -- Wannabot --------------------------------------------------------------------------------
def test_wannabot_sessions_listing_and_history(s: Simulator) -> None:
    env = s.env()
    sessions = httpx.get(env["WANNABOT_BASE_URL"] + f"/_sim/sessions?date={DAY}").json()["sessions"]
    assert sessions and len(sessions[0]["session_id"]) == 24 and sessions[0]["created_at"].endswith("-05:00")
    history = httpx.post(
        env["WANNABOT_BASE_URL"] + "/v1/conversation/history",
        json={"session_id": sessions[0]["session_id"]},
        headers={"Authorization": f"bearer {env['WANNABOT_API_KEY']}"},
    )
    messages = history.json()
    assert history.status_code == 200 and isinstance(messages, list)
    bot_messages = [m for m in messages if m["is_bot"] and not m["is_typing"]]
    assert {"type", "is_error", "interaction_data"} <= set(bot_messages[0]["data"])
    assert any(m["is_typing"] and m["data"] == {} for m in messages)


def test_wannabot_errors(s: Simulator) -> None:
    env = s.env()
    url = env["WANNABOT_BASE_URL"] + "/v1/conversation/history"
    assert (
        httpx.post(url, json={"session_id": "x"}, headers={"Authorization": "bearer nope"}).status_code == 401
    )
    unknown = httpx.post(
        url,
        json={"session_id": "2c1cc196f6ef3d594343711d"},
        headers={"Authorization": f"bearer {env['WANNABOT_API_KEY']}"},
    )
    assert unknown.status_code == 404 and "not found" in unknown.json()["message"]


# -- Data, chaos, counters ---------------------------------------------------------------------
def test_generation_is_deterministic_and_realistic() -> None:
    a = day_conversations(7, "jelou", BOT, DAY, "America/Bogota", (300, 300))
    day_conversations.cache_clear()
    b = day_conversations(7, "jelou", BOT, DAY, "America/Bogota", (300, 300))
    assert [(c.id, [m.text for m in c.messages]) for c in a] == [
        (c.id, [m.text for m in c.messages]) for c in b
    ]
    roles = {m.role for c in a for m in c.messages}
    assert roles == {"customer", "bot", "agent"}
    assert any(m.is_fallback for c in a for m in c.messages)
    assert any(c.agent_name for c in a) and any(m.content_type != "text" for c in a for m in c.messages)
    assert {c.lang for c in a} == {"es", "en", "pt"}
    text = " ".join(m.text for c in a for m in c.messages)
    assert "ñ" in text or "á" in text
    assert any(ord(ch) > 0x1F000 for ch in text)  # emojis


def test_chaos_mode_misbehaves_on_a_share_of_requests() -> None:
    config = SimulatorConfig(volume=(2, 2), chaos=0.5, slow_s=0.05)
    with Simulator(config) as sim:
        outcomes = []
        for _ in range(40):
            try:
                r = httpx.get(
                    sim.env()["JELOU_BASE_URL"] + f"/v1/external/messages/history/{BOT}?limit=5&page=1",
                    auth=(sim.env()["JELOU_USERNAME"], sim.env()["JELOU_PASSWORD"]),
                    timeout=5,
                )
                outcomes.append(str(r.status_code))
            except httpx.HTTPError as exc:
                outcomes.append(type(exc).__name__)
        assert sim.counters()["chaos_faults"] >= 8
        assert {"500", "502", "503", "429"} & set(outcomes) and "200" in outcomes
        assert {"RemoteProtocolError", "ReadError", "ConnectError"} & set(outcomes)


def test_counters_are_readable_over_http(s: Simulator) -> None:
    counters = httpx.get(s.url + "/_sim/counters").json()
    assert isinstance(counters, dict) and counters.get("multichat_requests", 0) > 0
