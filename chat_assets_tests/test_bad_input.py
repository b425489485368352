"""Bad input gets a clear failure and loses nothing: one test per case, for every vendor it applies to.

Each case first stores a good fetch of the day, then fetches again (as `refetch` does) against a
vendor answering badly: the failure names vendor, account and day, the bad bytes are kept under
raw/_failed/ and the error points at them, and the good fetch is untouched.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from chat_assets.errors import PayloadError, VendorError
from chat_assets.http import HttpPolicy
from chat_assets.jelou.client import JelouClient
from chat_assets.multichat.client import MultichatClient
from chat_assets.neoagent.client import NeoagentClient
from chat_assets.storage import DataStore
from chat_assets.wannabot.client import WannabotClient
from chat_assets.wannabot.registry import Session
from chat_assets.wolkvox.client import WolkvoxClient
from chat_assets_tests.vendor_docs import doc_text, strip_comments, wannabot_doc_history

DAY, TZ = "2025-10-03", "America/Bogota"
FAST = HttpPolicy(max_attempts=2, backoff_base=0.001)
HTML = b"<html><head><title>Mantenimiento</title></head><body>Volvemos pronto</body></html>"


def good_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "conversaciones-22_2025-10-03.csv",
            "id_conversacion;fecha_hora;direccion;mensaje\nA;03/10/2025 10:00:00;IN;hola\n",
        )
    return buffer.getvalue()


def multichat_answer(payload: bytes, status: int = 200) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        if "/files/" in request.url.path:
            return httpx.Response(status, content=payload)
        kind = request.url.params["tipo_reporte"]
        return httpx.Response(
            200,
            json={"code": 1, "status": f"https://mc.test/report/files/Ab12Cd34Ef_{kind}-22_{DAY}.csv.zip"},
        )

    return handler


GOOD = {
    "multichat": multichat_answer(good_zip()),
    "wolkvox": lambda r: httpx.Response(200, content=doc_text("wolkvox_chat2.json").encode()),
    "jelou": lambda r: httpx.Response(200, content=doc_text("jelou_200.json").encode()),
    "neoagent": lambda r: httpx.Response(
        200, content=strip_comments(doc_text("neoagent_response.jsonc")).encode()
    ),
}


def make_client(vendor: str, handler: Callable, store: DataStore, tmp: Path):  # type: ignore[no-untyped-def]
    transport = httpx.MockTransport(handler)
    if vendor == "multichat":
        return MultichatClient(
            "https://mc.test/report/", "demo", "secret-token-1", TZ, policy=FAST, transport=transport
        )
    if vendor == "wolkvox":
        return WolkvoxClient(
            "https://wv.test",
            "secret-token-2",
            TZ,
            state=tmp,
            min_interval_s=0,
            policy=FAST,
            transport=transport,
        )
    if vendor == "jelou":
        return JelouClient("https://jl.test", "user", "secret-pass-3", TZ, policy=FAST, transport=transport)
    return NeoagentClient(
        "https://neo.test", "secret-key-4", TZ, store=store, state=tmp, policy=FAST, transport=transport
    )


def fetch(vendor: str, handler: Callable, store: DataStore, tmp: Path) -> None:
    client = make_client(vendor, handler, store, tmp)
    try:
        with store.raw_fetch(vendor, DAY, "acct", client.describe(DAY, "acct"), redact=client.redact) as raw:
            client.fetch_day(raw, DAY, "acct")
    finally:
        client.close()


def assert_kept_and_untouched(
    vendor: str, store: DataStore, before: dict, error: VendorError, bad: bytes
) -> None:
    assert f"[{vendor}] account acct day {DAY}" in str(error) and "What to do" in str(error)
    assert error.raw_path and "/raw/_failed/" in error.raw_path
    assert Path(error.raw_path).read_bytes() == bad  # byte for byte, and the error points at it
    after = {f["name"]: f["sha256"] for f in store.raw_manifest(vendor, DAY, "acct")["files"]}
    assert after == before


@pytest.fixture
def stored(store: DataStore, tmp_path: Path) -> Callable[[str], dict]:
    def _stored(vendor: str) -> dict:
        fetch(vendor, GOOD[vendor], store, tmp_path)
        return {f["name"]: f["sha256"] for f in store.raw_manifest(vendor, DAY, "acct")["files"]}

    return _stored


def bad_case(vendor: str, payload: bytes, store: DataStore, tmp: Path, before: dict) -> VendorError:
    handler = (
        multichat_answer(payload)
        if vendor == "multichat"
        else (lambda r: httpx.Response(200, content=payload))
    )
    with pytest.raises(VendorError) as caught:
        fetch(vendor, handler, store, tmp)
    assert_kept_and_untouched(vendor, store, before, caught.value, payload)
    return caught.value


@pytest.mark.parametrize("vendor", ["multichat", "wolkvox", "jelou", "neoagent"])
def test_html_page_with_status_200(vendor: str, store: DataStore, tmp_path: Path, stored) -> None:  # type: ignore[no-untyped-def]
    before = stored(vendor)
    error = bad_case(vendor, HTML, store, tmp_path, before)
    assert isinstance(error, PayloadError)


@pytest.mark.parametrize("vendor", ["wolkvox", "jelou", "neoagent"])
def test_json_of_an_unexpected_shape(vendor: str, store: DataStore, tmp_path: Path, stored) -> None:  # type: ignore[no-untyped-def]
    before = stored(vendor)
    error = bad_case(vendor, json.dumps({"items": [1, 2, 3], "ok": True}).encode(), store, tmp_path, before)
    assert isinstance(error, PayloadError) and "documented" in error.problem


@pytest.mark.parametrize("vendor", ["wolkvox", "jelou", "neoagent"])
def test_truncated_body(vendor: str, store: DataStore, tmp_path: Path, stored) -> None:  # type: ignore[no-untyped-def]
    before = stored(vendor)
    whole = GOOD[vendor](httpx.Request("GET", "https://x.test/")).content
    error = bad_case(vendor, whole[: len(whole) // 2], store, tmp_path, before)
    assert isinstance(error, PayloadError)


def test_multichat_corrupt_zip(store: DataStore, tmp_path: Path, stored) -> None:  # type: ignore[no-untyped-def]
    before = stored("multichat")
    error = bad_case("multichat", good_zip()[:-40] + b"\x00" * 40, store, tmp_path, before)
    assert "is not a readable zip" in error.problem


def test_multichat_empty_zip(store: DataStore, tmp_path: Path, stored) -> None:  # type: ignore[no-untyped-def]
    before = stored("multichat")
    buffer = io.BytesIO()
    zipfile.ZipFile(buffer, "w").close()
    error = bad_case("multichat", buffer.getvalue(), store, tmp_path, before)
    assert "is an empty zip" in error.problem


def test_multichat_report_answering_html(store: DataStore, tmp_path: Path, stored) -> None:  # type: ignore[no-untyped-def]
    before = stored("multichat")
    with pytest.raises(PayloadError) as caught:
        fetch(
            "multichat",
            lambda r: httpx.Response(200, content=HTML, headers={"content-type": "text/html"}),
            store,
            tmp_path,
        )
    assert_kept_and_untouched("multichat", store, before, caught.value, HTML)
    assert "text/html" in caught.value.problem


@pytest.mark.parametrize("payload", [HTML, b'{"not": "a list"}', wannabot_doc_history()[:40]])
def test_wannabot_bad_answers_are_typed_failures(payload: bytes) -> None:
    client = WannabotClient(
        "https://wb.test",
        "secret-5",
        policy=FAST,
        transport=httpx.MockTransport(lambda r: httpx.Response(200, content=payload)),
    )
    from datetime import datetime

    session = Session(
        "2c1cc196f6ef3d594343711d",
        datetime.fromisoformat("2025-10-03T09:00:00-05:00"),
        DAY,
        "inbox/wannabot/a.csv",
        7,
    )
    [result] = client.fetch([session])
    assert isinstance(result.error, PayloadError) and result.body == payload
    assert "2c1cc196f6ef3d594343711d (registry inbox/wannabot/a.csv, line 7)" in str(result.error)


def test_wolkvox_range_answers_are_redacted_and_failures_name_the_range(tmp_path: Path) -> None:
    """A backfill's multi-day Wolkvox window is kept under _ranges: an echoed token never reaches it."""
    token = "secret-token-range-9"
    answers = iter(
        [
            httpx.Response(200, json={"msg": f"ok {token}", "data": [{"conn_id": "1", "conversation": [
                {"from": "CUSTOMER", "date": "2025-10-02 10:00:00", "message": "hola"}]}]}),
            httpx.Response(401, json={"msg": f"PLEASE ENTER THE WOLKVOX-TOKEN {token}"}),
        ]
    )  # fmt: skip
    store = DataStore(str(tmp_path / "data"))
    client = WolkvoxClient(
        "https://wv.test", token, TZ, state=tmp_path, min_interval_s=0, store=store, policy=FAST,
        transport=httpx.MockTransport(lambda request: next(answers)),
    )  # fmt: skip
    client.prepare(["2025-10-01", "2025-10-02", "2025-10-03"])
    for day in ("2025-10-01", "2025-10-02"):
        with store.raw_fetch("wolkvox", day, "0042", client.describe(day, "0042"), redact=client.redact) as f:
            client.fetch_day(f, day, "0042")
    manifest = store.raw_manifest("wolkvox", "2025-10-02", "0042")
    assert manifest["files"][0]["path"].startswith("raw/wolkvox/_ranges/0042/")
    assert manifest["files"][0]["records"] == 1 and manifest["notes"]["range"] == "2025-10-01..2025-10-03"
    assert all(token.encode() not in p.read_bytes() for p in (tmp_path / "data").rglob("*") if p.is_file())
    # The next range answers 401: every one of its days fails with the range named.
    client.ranges.clear()
    with (
        pytest.raises(VendorError, match=r"2025-10-01\.\.2025-10-03"),
        store.raw_fetch("wolkvox", "2025-10-03", "0042", {}, redact=client.redact) as f,
    ):
        client.fetch_day(f, "2025-10-03", "0042")
    assert all(token.encode() not in p.read_bytes() for p in (tmp_path / "data").rglob("*") if p.is_file())


def test_wolkvox_asks_the_next_range_while_the_days_of_the_current_one_are_recorded(tmp_path: Path) -> None:
    """One range ahead, on one thread: a range's failure still fails only its own days."""
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.params["date_ini"][:8])
        if len(asked) == 2:
            return httpx.Response(401, json={"msg": "PLEASE ENTER THE WOLKVOX-TOKEN"})
        return httpx.Response(200, json={"msg": "ok", "data": [{"conn_id": "1", "conversation": [
            {"from": "CUSTOMER", "date": "2025-09-02 10:00:00", "message": "hola"}]}]})  # fmt: skip

    store = DataStore(str(tmp_path / "data"))
    client = WolkvoxClient(
        "https://wv.test", "tok", TZ, state=tmp_path, min_interval_s=0, store=store, policy=FAST,
        transport=httpx.MockTransport(answer),
    )  # fmt: skip
    days = [f"2025-09-{d:02d}" for d in range(1, 31)] + [f"2025-10-{d:02d}" for d in range(1, 11)]
    client.prepare(days)
    try:
        with store.raw_fetch("wolkvox", days[0], "0042", {}, redact=client.redact) as f:
            client.fetch_day(f, days[0], "0042")
        # Recording the first day asked for the second range too, without waiting for its days.
        client.ranges[("0042", "2025-10-02", "2025-10-10")].result(timeout=10)
        assert asked == ["20250901", "20251002"]
        with store.raw_fetch("wolkvox", days[30], "0042", {}, redact=client.redact) as f:
            client.fetch_day(f, days[30], "0042")  # 2025-10-01: still the first range's last day
        with (
            pytest.raises(VendorError, match=r"2025-10-02\.\.2025-10-10"),
            store.raw_fetch("wolkvox", days[31], "0042", {}, redact=client.redact) as f,
        ):
            client.fetch_day(f, days[31], "0042")
        assert len(asked) == 2  # each range asked once
    finally:
        client.close()
