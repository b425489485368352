"""A corpus of malformed and malicious vendor answers, each held to the same five promises.

For every case a good day is stored first (raw fetch and warehouse partition); then the vendor
answers the case's bytes. Each case asserts:

1. the outcome: a clear error naming vendor, account and day (and the file, where one was
   read), or exactly the right rows;
2. the raw bytes were kept (under raw/_failed/ when the fetch judged them, in the day's folder
   when only normalization could), redacted where they echoed a credential;
3. nothing outside the data dir was touched (a sentinel tree beside it is compared byte for byte);
4. nothing already stored changed (the warehouse partition, and the raw day unless a newer
   complete fetch replaced it);
5. no secret anywhere: in the error, or in any file under the test's folder.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import dagster as dg
import httpx
import pytest

from chat_assets import partitions
from chat_assets.errors import VendorError
from chat_assets.http import HttpPolicy
from chat_assets.jelou.client import JelouClient
from chat_assets.jelou.normalize import normalize_one as jelou_normalize
from chat_assets.multichat.client import MultichatClient
from chat_assets.multichat.normalize import normalize_one as multichat_normalize
from chat_assets.neoagent.client import NeoagentClient
from chat_assets.neoagent.normalize import normalize_one as neoagent_normalize
from chat_assets.normalized_asset import NormalizeInput
from chat_assets.settings import StoreResource
from chat_assets.storage import DataStore
from chat_assets.wannabot.client import WannabotClient, WannabotResource
from chat_assets.wolkvox.client import WolkvoxClient
from chat_assets.wolkvox.normalize import normalize_one as wolkvox_normalize

DAY, TZ, ACCOUNT = "2025-10-03", "America/Bogota", "acct"
FAST = HttpPolicy(max_attempts=2, backoff_base=0.001)
SECRETS = {
    "multichat": "secret-token-1x",
    "wolkvox": "secret-token-2x",
    "jelou": "secret-pass-3x",
    "neoagent": "secret-key-4x",
    "wannabot": "secret-key-5x",
}
ALL_SECRETS = [*SECRETS.values(), base64.b64encode(f"user:{SECRETS['jelou']}".encode()).decode()]
HTML = b"<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>"
NORMALIZE = {
    "multichat": multichat_normalize,
    "wolkvox": wolkvox_normalize,
    "jelou": jelou_normalize,
    "neoagent": neoagent_normalize,
}
Handler = Callable[[httpx.Request], httpx.Response]


# -- good answers, and the bricks hostile ones are made of ----------------------------------


def csv_rows(n: int = 3, date: str = "03/10/2025") -> bytes:
    lines = ["id_conversacion;fecha_hora;direccion;mensaje"]
    lines += [f"A;{date} 10:0{i}:00;{'IN' if i % 2 == 0 else 'OUT'};mensaje {i}" for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


def zip_of(*members: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(
                zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED
            )
    return buffer.getvalue()


def multichat(file: bytes, link: str | None = None, report: bytes | None = None) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        if "/files/" in request.url.path:
            return httpx.Response(200, content=file)
        if report is not None:
            return httpx.Response(200, content=report)
        kind = request.url.params["tipo_reporte"]
        url = link or f"https://mc.test/report/files/Ab12Cd34Ef_{kind}-22_{DAY}.csv.zip"
        return httpx.Response(200, json={"code": 1, "status": url})

    return handler


def wolkvox_window(messages: list[dict] | None = None, **conv: object) -> dict:
    messages = (
        messages
        if messages is not None
        else [
            {
                "channel": "whatsapp",
                "from": "CUSTOMER",
                "from_name": "Ana",
                "to_name": "chat_bot",
                "date": f"{DAY} 10:00:0{i}",
                "message": f"hola {i}",
                "customer_id": "10",
                "feeling": "neutral",
            }
            for i in range(3)
        ]
    )
    return {
        "code": 200,
        "error": None,
        "msg": "1 records were found",
        "data": [
            {"conn_id": "77", "agent_name": "", "customer_name": "Ana", "conversation": messages, **conv}
        ],
    }


def jelou_result(i: int, **over: object) -> dict:
    result = {
        "recipient": {"id": "bot-1", "names": "Bot"},
        "sender": {"id": "5730", "name": "Ana", "type": "Whatsapp"},
        "by": "user",
        "messageId": f"m-{i}",
        "status": "DELIVERED_USER",
        "bubble": {"type": "TEXT", "text": f"t{i}"},
        "createdAt": f"{DAY}T15:00:0{i}.000Z",
    }
    result.update(over)
    return result


def jelou_page(
    results: list, page: int = 1, pages: int = 1, total: int | None = None, limit: int = 50
) -> dict:
    return {
        "pagination": {
            "limit": limit,
            "page": page,
            "total": len(results) if total is None else total,
            "offset": 0,
            "totalPages": pages,
        },
        "_metadata": {},
        "results": results,
    }


def neo_session(i: int, **over: object) -> dict:
    session = {
        "SessionID": 100 + i,
        "CreateTime": f"{DAY}T15:00:0{i}.000000Z",
        "URI": "https://x.test",
        "Messages": [{"Type": "User", "Content": "hola"}, {"Type": "AI", "Content": "¡Hola!"}],
    }
    session.update(over)
    return session


def neo_answer(sessions: list | object) -> dict:
    return {"Data": sessions, "Version": "1.0.0", "Success": True, "Code": 200, "Message": ""}


def answer(body: bytes | dict | list, status: int = 200, headers: dict | None = None) -> Handler:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return lambda request: httpx.Response(status, content=content, headers=headers or {})


def redirect_to(location: str, then: Handler) -> Handler:
    """The first request is redirected to `location`; requests that arrive there get `then`."""

    def handler(request: httpx.Request) -> httpx.Response:
        if str(request.url).startswith(location.split("?")[0]):
            return then(request)
        return httpx.Response(302, headers={"location": location})

    return handler


def deep_json(depth: int = 100_000) -> bytes:
    return b'{"data": ' + b"[" * depth + b"]" * depth + b"}"


GOOD: dict[str, Handler] = {
    "multichat": multichat(zip_of((f"conversaciones-22_{DAY}.csv", csv_rows()))),
    "wolkvox": answer(wolkvox_window()),
    "jelou": answer(jelou_page([jelou_result(i) for i in range(3)])),
    "neoagent": answer(neo_answer([neo_session(i) for i in range(3)])),
}


@dataclass
class Case:
    id: str
    vendor: str
    handler: Handler
    error: str | None = None  # a substring of the expected error; None: rows are expected
    rows: int | None = None
    kept: bytes | None = None  # bytes that must be found under raw/ (None: the handler's first body)
    check_kept: bool = True
    env: dict[str, str] | None = None


def C(id: str, vendor: str, handler: Handler, error: str | None = None, **kw: object) -> Case:
    return Case(id, vendor, handler, error, **kw)  # type: ignore[arg-type]


BIG = b"x" * (3 << 20)
CASES: list[Case] = [
    # -- Contacto Multichat ----------------------------------------------------------------
    C(
        "mc-report-html-200",
        "multichat",
        answer(HTML, headers={"content-type": "text/html"}),
        "not the documented JSON",
    ),
    C("mc-report-html-404", "multichat", answer(HTML, 404), "not the documented JSON"),
    C("mc-report-empty", "multichat", answer(b""), "not the documented JSON"),
    C(
        "mc-report-truncated",
        "multichat",
        answer(b'{"code":1,"status":"https:\\/\\/mc.te'),
        "not the documented JSON",
    ),
    C("mc-report-array", "multichat", answer([1, 2]), "not the documented JSON"),
    C("mc-report-code-text", "multichat", answer({"code": "uno", "status": "x"}), "not the documented JSON"),
    C("mc-report-unknown-code", "multichat", answer({"code": 7, "status": "raro"}), "unknown report code 7"),
    C("mc-report-no-link", "multichat", answer({"code": 1, "status": ""}), "listed no file"),
    C(
        "mc-report-auth-echo",
        "multichat",
        answer({"code": -3, "status": f"token {SECRETS['multichat']} invalido"}),
        "bad credentials",
    ),
    C("mc-zip-corrupt", "multichat", multichat(b"PK\x03\x04garbage" * 10), "not a readable zip"),
    C("mc-zip-empty", "multichat", multichat(zip_of()), "empty zip"),
    C("mc-zip-not-zip", "multichat", multichat(HTML), "not a readable zip"),
    C("mc-zip-slip", "multichat", multichat(zip_of(("../../../outside/evil.csv", csv_rows()))), rows=3),
    C("mc-zip-absolute", "multichat", multichat(zip_of(("/tmp/evil.csv", csv_rows()))), rows=3),
    C("mc-zip-backslash", "multichat", multichat(zip_of(("..\\..\\evil.csv", csv_rows()))), rows=3),
    C(
        "mc-zip-duplicate-members",
        "multichat",
        multichat(zip_of(("c.csv", csv_rows(2)), ("c.csv", csv_rows(3)))),
        rows=5,
    ),
    C("mc-zip-dir-only", "multichat", multichat(zip_of(("carpeta/", b""))), "empty zip"),
    C(
        "mc-zip-bomb-ratio",
        "multichat",
        multichat(zip_of(("c.csv", b"a" * (8 << 20)))),
        "CHAT_ASSETS_MAX_ZIP_RATIO",
    ),
    C(
        "mc-zip-member-over-cap",
        "multichat",
        multichat(zip_of(("c.csv", os.urandom(3 << 20)))),
        "CHAT_ASSETS_MAX_MEMBER_MB",
        env={"CHAT_ASSETS_MAX_MEMBER_MB": "2"},
    ),
    C(
        "mc-body-over-cap",
        "multichat",
        multichat(BIG),
        "CHAT_ASSETS_MAX_BODY_MB",
        check_kept=False,
        env={"CHAT_ASSETS_MAX_BODY_MB": "2"},
    ),
    C(
        "mc-link-traversal-name",
        "multichat",
        multichat(
            zip_of(("c.csv", csv_rows())), link="https://mc.test/report/files/..%2F..%2Fevil.zip?sig=1"
        ),
        rows=3,
    ),
    C(
        "mc-link-query-token",
        "multichat",
        multichat(
            zip_of(("c.csv", csv_rows())),
            link=f"https://mc.test/report/files/c.zip?token={SECRETS['multichat']}",
        ),
        rows=3,
    ),
    C(
        "mc-report-cross-origin-redirect",
        "multichat",
        redirect_to("https://evil.test/steal", answer({"code": 1, "status": "x"})),
        "another origin",
    ),
    C(
        "mc-csv-impossible-date",
        "multichat",
        multichat(zip_of(("c.csv", csv_rows(date="31/02/2025")))),
        "impossible date",
    ),
    C(
        "mc-csv-month-13",
        "multichat",
        multichat(zip_of(("c.csv", csv_rows(date="03/13/2025")))),
        "not that day",
    ),
    C(
        "mc-csv-one-bad-byte",
        "multichat",
        multichat(
            zip_of(
                (
                    "c.csv",
                    "id_conversacion;fecha_hora;direccion;mensaje\nA;03/10/2025 10:00:00;IN;canción ñ\n"
                    "A;03/10/2025 10:01:00;OUT;acción\nA;03/10/2025 10:02:00;IN;d\xe9bil\n".encode().replace(
                        b"d\xc3\xa9bil", b"d\xe9bil"
                    ),
                )
            )
        ),
        rows=3,
    ),
    C("mc-csv-binary", "multichat", multichat(zip_of(("c.csv", b"\x00\x01\x02" * 100))), "NUL bytes"),
    C(
        "mc-csv-mostly-undecodable",
        "multichat",
        multichat(zip_of(("c.csv", b"a;b\n" + b"\x81\x8d\x8f\x90\x9d" * 400))),
        "undecodable",
    ),
    C("mc-csv-no-roles", "multichat", multichat(zip_of(("c.csv", b"x;y\n1;2\n"))), "MULTICHAT_COLUMNS"),
    C(
        "mc-csv-ambiguous-sender",
        "multichat",
        multichat(
            zip_of(("c.csv", b"id_conversacion;fecha_hora;a;b;mensaje\nA;03/10/2025 10:00:00;IN;cliente;x\n"))
        ),
        "all look like the sender",
    ),
    C(
        "mc-csv-unknown-sender",
        "multichat",
        multichat(
            zip_of(
                ("c.csv", b"id_conversacion;fecha_hora;direccion;mensaje\nA;03/10/2025 10:00:00;lateral;x\n")
            )
        ),
        "unknown sender value",
    ),
    C(
        "mc-csv-empty-conversation",
        "multichat",
        multichat(
            zip_of(("c.csv", b"id_conversacion;fecha_hora;direccion;mensaje\n;03/10/2025 10:00:00;IN;x\n"))
        ),
        "empty 'id_conversacion'",
    ),
    C(
        "mc-csv-header-only",
        "multichat",
        multichat(zip_of(("c.csv", b"id_conversacion;fecha_hora;direccion;mensaje\n"))),
        rows=0,
    ),
    # -- Wolkvox ------------------------------------------------------------------------------
    C("wv-html-200", "wolkvox", answer(HTML), "documented JSON"),
    C("wv-nginx-404", "wolkvox", answer(HTML, 404), "HTTP 404"),
    C("wv-empty-404", "wolkvox", answer(b"", 404), "HTTP 404"),
    C(
        "wv-unknown-route",
        "wolkvox",
        answer({"code": 400, "msg": "THE API YOU WANT TO CONSULT DOES NOT EXIST"}, 400),
        "request rejected",
    ),
    C(
        "wv-documented-no-records",
        "wolkvox",
        answer({"code": 404, "msg": "NO RECORDS FOUND, PLEASE VALIDATE THE DATES"}, 404),
        rows=0,
    ),
    C("wv-truncated", "wolkvox", answer(json.dumps(wolkvox_window()).encode()[:50]), "documented JSON"),
    C("wv-data-string", "wolkvox", answer({"code": 200, "data": "[]"}), "documented JSON"),
    C("wv-data-null", "wolkvox", answer({"code": 200, "data": None}), "documented JSON"),
    C("wv-data-object", "wolkvox", answer({"code": 200, "data": {"conn_id": "1"}}), "documented JSON"),
    C("wv-null-conversation", "wolkvox", answer({"code": 200, "msg": "", "data": [None]}), "conversation #0"),
    C("wv-null-message", "wolkvox", answer(wolkvox_window([None])), "message #0"),
    C("wv-conversation-object", "wolkvox", answer(wolkvox_window(conversation={"a": 1})), "should be a list"),
    C(
        "wv-message-list",
        "wolkvox",
        answer(wolkvox_window([{"date": f"{DAY} 10:00:00", "message": ["a"]}])),
        "should be text",
    ),
    C(
        "wv-impossible-date",
        "wolkvox",
        answer(wolkvox_window([{"from": "CUSTOMER", "date": "2025-09-31 10:00:00", "message": "x"}])),
        "impossible date",
    ),
    C(
        "wv-unreadable-date",
        "wolkvox",
        answer(wolkvox_window([{"from": "CUSTOMER", "date": "ayer", "message": "x"}])),
        "no known date/time format",
    ),
    C("wv-missing-conn-id", "wolkvox", answer(wolkvox_window(conn_id=None)), "conn_id is missing"),
    C(
        "wv-token-echo-401",
        "wolkvox",
        answer({"code": 401, "msg": f"BAD TOKEN {SECRETS['wolkvox']}"}, 401),
        "bad credentials",
    ),
    C(
        "wv-token-echo-500",
        "wolkvox",
        answer(f"error for token {SECRETS['wolkvox']}".encode(), 500),
        "vendor unavailable",
        check_kept=False,
    ),
    C(
        "wv-redirect-other-host",
        "wolkvox",
        redirect_to("https://evil.test/x", answer(wolkvox_window())),
        "another origin",
    ),
    C(
        "wv-redirect-other-port",
        "wolkvox",
        redirect_to("https://wv.test:8443/x", answer(wolkvox_window())),
        "another origin",
    ),
    C(
        "wv-redirect-same-origin",
        "wolkvox",
        redirect_to("https://wv.test/v2/moved", answer(wolkvox_window())),
        rows=3,
    ),
    C(
        "wv-body-over-cap",
        "wolkvox",
        answer(BIG),
        "CHAT_ASSETS_MAX_BODY_MB",
        check_kept=False,
        env={"CHAT_ASSETS_MAX_BODY_MB": "2"},
    ),
    C("wv-deep-nesting", "wolkvox", answer(deep_json()), "documented JSON"),
    C("wv-traversal-conn-id", "wolkvox", answer(wolkvox_window(conn_id="../../../warehouse")), rows=3),
    C(
        "wv-feeling-object",
        "wolkvox",
        answer(
            wolkvox_window(
                [{"from": "CUSTOMER", "date": f"{DAY} 10:00:00", "message": "x", "feeling": {"v": 1}}]
            )
        ),
        "should be text",
    ),
    # -- Jelou --------------------------------------------------------------------------------
    C("jl-html-200", "jelou", answer(HTML), "documented"),
    C("jl-truncated", "jelou", answer(json.dumps(jelou_page([jelou_result(0)])).encode()[:60]), "documented"),
    C("jl-results-string", "jelou", answer({"pagination": {"totalPages": 1}, "results": "[]"}), "documented"),
    C(
        "jl-results-object",
        "jelou",
        answer({"pagination": {"totalPages": 1}, "results": {"a": 1}}),
        "documented",
    ),
    C("jl-no-pagination", "jelou", answer({"results": []}), "documented"),
    C("jl-null-item", "jelou", answer(jelou_page([None, jelou_result(1)], total=2)), "result #0"),
    C(
        "jl-bubble-string",
        "jelou",
        answer(jelou_page([jelou_result(0, bubble="hola")])),
        "should be an object",
    ),
    C("jl-sender-list", "jelou", answer(jelou_page([jelou_result(0, sender=["a"])])), "should be an object"),
    C(
        "jl-created-impossible",
        "jelou",
        answer(jelou_page([jelou_result(0, createdAt="2025-09-31T10:00:00Z")])),
        "not an ISO 8601 time",
    ),
    C(
        "jl-created-missing",
        "jelou",
        answer(jelou_page([jelou_result(0, createdAt=None)])),
        "createdAt is missing",
    ),
    C("jl-by-missing", "jelou", answer(jelou_page([jelou_result(0, by=None)])), "by is missing"),
    C(
        "jl-empty-page-before-total",
        "jelou",
        lambda r: httpx.Response(
            200,
            json=jelou_page(
                [jelou_result(i) for i in range(50)] if r.url.params["page"] == "1" else [],
                page=int(r.url.params["page"]),
                pages=3,
                total=120,
            ),
        ),
        "contradict themselves",
    ),
    C(
        "jl-total-disagrees",
        "jelou",
        answer(jelou_page([jelou_result(0)], total=140)),
        "contradict themselves",
    ),
    C("jl-401", "jelou", answer({"message": "Authentication failed"}, 401), "bad credentials"),
    C(
        "jl-404",
        "jelou",
        answer({"message": ["The Bot could not be found"], "error": {"key": "BOT_NOT_FOUND"}}, 404),
        "unknown account",
    ),
    C(
        "jl-422",
        "jelou",
        answer({"message": ["x"], "validationError": {"startAt": [{"es": "mal"}]}}, 422),
        "request rejected",
    ),
    C(
        "jl-redirect-other-host",
        "jelou",
        redirect_to("https://evil.test/h", answer(jelou_page([]))),
        "another origin",
    ),
    C(
        "jl-redirect-same-origin",
        "jelou",
        redirect_to("https://jl.test/v2/h", answer(jelou_page([jelou_result(0)]))),
        rows=1,
    ),
    C(
        "jl-traversal-ids",
        "jelou",
        answer(
            jelou_page(
                [
                    jelou_result(
                        0, messageId="../../x", sender={"id": "../../../etc", "name": "A", "type": "Whatsapp"}
                    )
                ]
            )
        ),
        rows=1,
    ),
    C("jl-deep-nesting", "jelou", answer(deep_json()), "documented"),
    C(
        "jl-body-over-cap",
        "jelou",
        answer(BIG),
        "CHAT_ASSETS_MAX_BODY_MB",
        check_kept=False,
        env={"CHAT_ASSETS_MAX_BODY_MB": "2"},
    ),
    # -- Neoagent -----------------------------------------------------------------------------
    C("na-html-200", "neoagent", answer(HTML), "documented"),
    C(
        "na-truncated",
        "neoagent",
        answer(json.dumps(neo_answer([neo_session(0)])).encode()[:70]),
        "documented",
    ),
    C("na-data-string", "neoagent", answer(neo_answer("[]")), "`Data` is not a list"),
    C("na-data-null", "neoagent", answer(neo_answer(None)), "documented"),
    C("na-null-session", "neoagent", answer(neo_answer([None])), "session #0"),
    C(
        "na-messages-object",
        "neoagent",
        answer(neo_answer([neo_session(0, Messages={"Type": "AI"})])),
        "should be a list",
    ),
    C("na-null-message", "neoagent", answer(neo_answer([neo_session(0, Messages=[None])])), "message #0"),
    C(
        "na-create-impossible",
        "neoagent",
        answer(neo_answer([neo_session(0, CreateTime="2025-02-30T10:00:00Z")])),
        "not an ISO 8601 time",
    ),
    C(
        "na-create-missing",
        "neoagent",
        answer(neo_answer([neo_session(0, CreateTime=None)])),
        "CreateTime is missing",
    ),
    C(
        "na-session-id-object",
        "neoagent",
        answer(neo_answer([neo_session(0, SessionID={"a": 1})])),
        "should be a number",
    ),
    C(
        "na-key-echo",
        "neoagent",
        answer({"Success": False, "Code": 401, "Message": f"key {SECRETS['neoagent']} bad"}),
        "bad credentials",
    ),
    C(
        "na-404",
        "neoagent",
        answer({"Success": False, "Code": 404, "Message": "Chatbot no encontrado"}),
        "unknown account",
    ),
    C(
        "na-413-single-day",
        "neoagent",
        answer({"Success": False, "Code": 413, "Message": "Rango"}, 413),
        "413 (range too wide) even for a single date",
        check_kept=False,
    ),
    C(
        "na-redirect-other-host",
        "neoagent",
        redirect_to("https://evil.test/n", answer(neo_answer([]))),
        "another origin",
    ),
    C(
        "na-traversal-session",
        "neoagent",
        answer(neo_answer([neo_session(0, SessionID=5, URI="../../../x")])),
        rows=2,
    ),
    C("na-deep-nesting", "neoagent", answer(deep_json()), "documented"),
]


def make_client(vendor: str, handler: Handler, store: DataStore, tmp: Path):  # type: ignore[no-untyped-def]
    transport = httpx.MockTransport(handler)
    if vendor == "multichat":
        return MultichatClient(
            "https://mc.test/report/", "demo", SECRETS[vendor], TZ, policy=FAST, transport=transport
        )
    if vendor == "wolkvox":
        return WolkvoxClient(
            "https://wv.test",
            SECRETS[vendor],
            TZ,
            state=tmp / "state",
            min_interval_s=0,
            policy=FAST,
            transport=transport,
        )
    if vendor == "jelou":
        return JelouClient("https://jl.test", "user", SECRETS[vendor], TZ, policy=FAST, transport=transport)
    return NeoagentClient(
        "https://neo.test",
        SECRETS[vendor],
        TZ,
        store=store,
        state=tmp / "state",
        policy=FAST,
        transport=transport,
    )


def fetch_and_normalize(vendor: str, handler: Handler, store: DataStore, tmp: Path) -> int:
    client = make_client(vendor, handler, store, tmp)
    try:
        with store.raw_fetch(
            vendor, DAY, ACCOUNT, client.describe(DAY, ACCOUNT), redact=client.redact
        ) as raw:
            client.fetch_day(raw, DAY, ACCOUNT)
    finally:
        client.close()
    inp = NormalizeInput(store, vendor, DAY, ACCOUNT, store.raw_manifest(vendor, DAY, ACCOUNT) or {}, TZ)
    try:
        messages = NORMALIZE[vendor](inp).get("messages")
    except VendorError:
        raise
    n = 0 if messages is None else messages.num_rows
    if messages is not None:
        store.write_table("messages", DAY, vendor, messages)
    return n


def tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def first_body(handler: Handler) -> bytes | None:
    response = handler(httpx.Request("GET", "https://probe.test/report/?tipo_reporte=conversaciones&page=1"))
    return response.content if not response.is_redirect else None


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_answer(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (case.env or {}).items():
        monkeypatch.setenv(name, value)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("untouched")
    store = DataStore(str(tmp_path / "data"))
    assert fetch_and_normalize(case.vendor, GOOD[case.vendor], store, tmp_path) > 0
    warehouse_before = store.read_bytes(store.table_path("messages", DAY, case.vendor))
    raw_before = store.raw_manifest(case.vendor, DAY, ACCOUNT)
    outside_before = tree(outside)
    parent_before = sorted(os.listdir(tmp_path))

    error: VendorError | None = None
    rows = None
    try:
        rows = fetch_and_normalize(case.vendor, case.handler, store, tmp_path)
    except VendorError as exc:
        error = exc

    # 1. the outcome
    if case.error is None:
        assert error is None, str(error)
        assert rows == case.rows
    else:
        assert error is not None, f"expected an error with {case.error!r}, got {rows} rows"
        text = str(error)
        assert case.error in text, text
        assert f"[{case.vendor}] account {ACCOUNT} day {DAY}" in text and "What to do" in text
    # 2. raw bytes kept
    kept = case.kept if case.kept is not None else first_body(case.handler)
    if case.check_kept and kept:
        stored = {p.read_bytes() for p in (tmp_path / "data" / "raw").rglob("*") if p.is_file()}
        redacted = kept.decode("utf-8", "surrogateescape")
        for secret in ALL_SECRETS:
            redacted = redacted.replace(secret, "***")
        assert kept in stored or redacted.encode("utf-8", "surrogateescape") in stored, (
            "the answer was not kept"
        )
    if case.id == "mc-csv-one-bad-byte":  # counted in the manifest, not hidden
        assert {
            f.get("replaced_bytes")
            for f in store.raw_manifest("multichat", DAY, ACCOUNT)["files"]
            if f["name"].endswith(".csv")
        } == {1}
    # 3. nothing outside the data dir
    assert tree(outside) == outside_before
    assert sorted(os.listdir(tmp_path)) == parent_before
    for path in (tmp_path / "data").rglob("*"):
        assert os.path.realpath(path).startswith(str(tmp_path / "data"))
    # 4. nothing already stored changed
    if error is not None:
        assert store.read_bytes(store.table_path("messages", DAY, case.vendor)) == warehouse_before
        manifest = store.raw_manifest(case.vendor, DAY, ACCOUNT)
        assert manifest == raw_before or (
            manifest and manifest["complete"] and manifest["started_at"] > raw_before["started_at"]
        )  # normalization-stage errors: a newer complete fetch, the warehouse untouched
    # 5. no secret anywhere
    everything = [str(error or "")] + [
        p.read_bytes().decode("utf-8", "replace")
        for p in tmp_path.rglob("*")
        if p.is_file() and "state" not in p.parts
    ]
    for secret in ALL_SECRETS:
        assert not any(secret in text for text in everything), f"{secret} leaked"


# -- Wannabot: sessions and bots named by the vendor and the registry ------------------------

WANNABOT_ANSWERS: dict[str, Handler] = {}


class HostileWannabot(WannabotResource):
    def client(self, transport: httpx.BaseTransport | None = None) -> WannabotClient:
        return WannabotClient(
            self.base_url,
            self.api_key,
            policy=FAST,
            transport=httpx.MockTransport(WANNABOT_ANSWERS["current"]),
        )


def wb_history(bot: object = "b1", **data: object) -> list:
    return [
        {
            "session_id": "s",
            "bot": {"id": bot, "type": "web"},
            "is_bot": False,
            "is_user": True,
            "data": {"text": "hola", **data},
        },
        {
            "session_id": "s",
            "bot": {"id": bot, "type": "web"},
            "is_bot": True,
            "is_user": False,
            "data": {"type": "TEXT", "is_error": False, "interaction_data": {"text": "¡Hola!"}},
        },
    ]


@dataclass
class WbCase:
    id: str
    handler: Handler
    sessions: tuple[str, ...] = ("2c1cc196f6ef3d594343711d",)
    error: str | None = None
    rows: int | None = None
    missing: int = 0


WB_CASES = [
    WbCase("wb-bot-id-traversal", answer(wb_history("../../../warehouse")), rows=2),
    WbCase("wb-bot-id-absolute", answer(wb_history("/etc")), rows=2),
    WbCase("wb-bot-id-dots", answer(wb_history("..")), rows=2),
    WbCase("wb-session-id-traversal", answer(wb_history()), sessions=("../../outside/x",), rows=2),
    WbCase("wb-session-id-slashes", answer(wb_history()), sessions=("a/b\\c", "a_b_c"), rows=4),
    WbCase("wb-bot-id-object", answer(wb_history({"id": "x"})), error="not text"),
    WbCase("wb-html-200", answer(HTML), error="without the documented list"),
    WbCase("wb-object-not-list", answer({"session_id": "s"}), error="without the documented list"),
    WbCase(
        "wb-truncated", answer(json.dumps(wb_history()).encode()[:30]), error="without the documented list"
    ),
    WbCase("wb-null-item", answer([None, *wb_history()]), error="message #0"),
    WbCase("wb-data-list", answer([{**wb_history()[0], "data": ["hola"]}]), error="should be an object"),
    WbCase("wb-unknown-session", answer({"error": "not found"}, 404), missing=1, rows=0),
    WbCase(
        "wb-key-echo-401", answer({"error": f"bad key {SECRETS['wannabot']}"}, 401), error="bad credentials"
    ),
    WbCase(
        "wb-cross-origin-redirect",
        redirect_to("https://evil.test/w", answer(wb_history())),
        error="another origin",
    ),
    WbCase("wb-mixed-bots", answer([wb_history("b1")[0], wb_history("b2")[1]]), error="mixes bots"),
    WbCase("wb-deep-nesting", answer(b"[" * 100_000 + b"]" * 100_000), error="documented list"),
]


@pytest.mark.parametrize("case", WB_CASES, ids=[c.id for c in WB_CASES])
def test_hostile_wannabot_answer(case: WbCase, tmp_path: Path) -> None:
    from chat_assets import partitions
    from chat_assets.wannabot.assets import build_assets

    WANNABOT_ANSWERS["current"] = case.handler
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("untouched")
    store = DataStore(str(tmp_path / "data"))
    lines = ["session_id,created_at", *(f"{sid},{DAY}T10:00:00-05:00" for sid in case.sessions)]
    store.write_bytes("inbox/wannabot/day.csv", ("\n".join(lines) + "\n").encode())
    store.write_table("messages", "2025-10-02", "wannabot", NORMALIZED_SENTINEL())
    sentinel = store.read_bytes(store.table_path("messages", "2025-10-02", "wannabot"))
    outside_before = tree(outside)
    settings = StoreResource(data_dir=str(tmp_path / "data"), timezone=TZ)
    resources = {
        "store": settings,
        "wannabot": HostileWannabot(store=settings, base_url="https://wb.test", api_key=SECRETS["wannabot"]),
    }
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            build_assets(partitions.daily(TZ)),
            resources=resources,
            partition_key=DAY,
            instance=instance,
            raise_on_error=False,
        )
        failures = [e.step_failure_data.user_failure_data for e in result.all_events if e.is_step_failure]
    if case.error is None:
        assert result.success, [f.description for f in failures if f]
        table = store.read_table("messages", DAY, "wannabot")
        assert table.num_rows == case.rows
        summary = json.loads(store.read_bytes(f"raw/wannabot/{DAY}/manifest.json"))
        assert len(summary["missing"]) == case.missing
    else:
        assert not result.success
        text = failures[0].description
        assert case.error in text and "[wannabot]" in text and DAY in text, text
        assert store.read_table("messages", DAY, "wannabot") is None
    assert store.read_bytes(store.table_path("messages", "2025-10-02", "wannabot")) == sentinel
    assert tree(outside) == outside_before and sorted(os.listdir(tmp_path)) == ["data", "outside"]
    for path in (tmp_path / "data").rglob("*"):
        assert os.path.realpath(path).startswith(str(tmp_path / "data"))
    everything = [p.read_bytes().decode("utf-8", "replace") for p in tmp_path.rglob("*") if p.is_file()]
    everything += [f.description for f in failures if f]
    assert not any(SECRETS["wannabot"] in text for text in everything)


def NORMALIZED_SENTINEL():
    from chat_assets import schemas

    return schemas.empty("messages")


def test_the_corpus_has_at_least_100_cases() -> None:
    assert len(CASES) + len(WB_CASES) >= 100
    assert {c.vendor for c in CASES} | {"wannabot"} == {
        "multichat",
        "wolkvox",
        "jelou",
        "neoagent",
        "wannabot",
    }


_ = (datetime, partitions)
