"""JSON vendors in any faithful shape give the same rows; a type that contradicts the document fails.

The documents fix field names but not field order, which optional fields appear, whether Jelou
writes `name` or `names`, or the order of pages, sessions and results. A property-based test
rewrites realistic payloads (rendered by the simulator from known conversations) in every such
way and asserts the canonical rows do not change. Wrong container types (a list given as text,
an object where a list belongs) are payload errors naming the vendor, account, day, file and
where in the document.
"""

from __future__ import annotations

import json
import random
from datetime import date
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chat_assets.errors import PayloadError
from chat_assets.jelou.normalize import normalize_one as jelou_normalize
from chat_assets.jelou.simulator import JelouApi
from chat_assets.neoagent.normalize import normalize_one as neoagent_normalize
from chat_assets.normalized_asset import NormalizeInput
from chat_assets.simulator.rendering import conversations
from chat_assets.simulator.server import Counters, SimulatorConfig
from chat_assets.storage import DataStore
from chat_assets.wannabot.normalize import normalize_one as wannabot_normalize
from chat_assets.wannabot.simulator import WannabotApi
from chat_assets.wolkvox.normalize import normalize_one as wolkvox_normalize
from chat_assets.wolkvox.simulator import WolkvoxApi
from chat_assets_tests.vendor_docs import doc_json, stage

DAY, TZ = "2025-10-03", "America/Bogota"
CONFIG = SimulatorConfig(volume=(4, 6))
KEY = ["account", "conversation_id", "seq"]


def shuffled(value: Any, rnd: random.Random) -> Any:
    """The same JSON with every object's keys in another order."""
    if isinstance(value, dict):
        items = list(value.items())
        rnd.shuffle(items)
        return {k: shuffled(v, rnd) for k, v in items}
    if isinstance(value, list):
        return [shuffled(v, rnd) for v in value]
    return value


def drop(value: Any, rnd: random.Random, optional: set[str], when_empty: set[str]) -> Any:
    """Leave out optional fields (some of the time) and fields whose value says nothing (false, [], "")."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in optional and rnd.random() < 0.7:
                continue
            if k in when_empty and v in (False, [], "", None) and rnd.random() < 0.7:
                continue
            out[k] = drop(v, rnd, optional, when_empty)
        return out
    if isinstance(value, list):
        return [drop(v, rnd, optional, when_empty) for v in value]
    return value


def rows(out: dict[str, pa.Table]) -> list[dict]:
    table = out["messages"].drop_columns(["raw_ref"]).sort_by([(k, "ascending") for k in KEY])
    return table.to_pylist()


# -- payloads as the simulator renders them ------------------------------------------------


def jelou_results(bot: str) -> list[dict]:
    api = JelouApi(CONFIG, Counters())
    found = []
    for conv in conversations(CONFIG, "jelou", bot, date.fromisoformat(DAY)):
        found += [(m.at, conv, i, m) for i, m in enumerate(conv.messages)]
    found.sort(key=lambda f: (f[0], f[1].id, f[2]))
    return [api._render(bot, conv, i, m) for _, conv, i, m in found]


def jelou_stage(
    store: DataStore, results: list[dict], page_size: int, account: str = "bot-1"
) -> NormalizeInput:
    pages = [results[i : i + page_size] for i in range(0, len(results), page_size)] or [[]]
    files = {
        f"page-{n + 1:04d}.json": (
            json.dumps(
                {"pagination": {"page": n + 1, "totalPages": len(pages)}, "_metadata": {}, "results": page}
            ).encode(),
            {"status": 200},
        )
        for n, page in enumerate(pages)
    }
    return stage(store, "jelou", DAY, account, files)


def swap_names(result: dict, rnd: random.Random) -> dict:
    for party in ("sender", "recipient"):
        person = dict(result[party])
        name = person.pop("name", None) or person.pop("names", None)
        if name is not None:
            person[rnd.choice(["name", "names"])] = name
        result = {**result, party: person}
    return result


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**32), page_size=st.sampled_from([7, 50]), newest_first=st.booleans())
def test_jelou_shapes(
    tmp_path_factory: pytest.TempPathFactory, seed: int, page_size: int, newest_first: bool
) -> None:
    rnd = random.Random(seed)
    base = jelou_results("bot-1")
    reference = rows(jelou_normalize(jelou_stage(DataStore(str(tmp_path_factory.mktemp("a"))), base, 50)))
    variant = [shuffled(drop(swap_names(r, rnd), rnd, {"status"}, set()), rnd) for r in base]
    if newest_first:
        variant.reverse()
    got = rows(jelou_normalize(jelou_stage(DataStore(str(tmp_path_factory.mktemp("b"))), variant, page_size)))
    assert got == reference


def wolkvox_window() -> dict:
    api = WolkvoxApi(CONFIG, Counters())
    from zoneinfo import ZoneInfo

    data = [
        api._render(conv, ZoneInfo(TZ))
        for conv in conversations(CONFIG, "wolkvox", "0042", date.fromisoformat(DAY))
    ]
    return {"code": 200, "error": None, "msg": f"{len(data)} records were found", "data": data}


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**32))
def test_wolkvox_shapes(tmp_path_factory: pytest.TempPathFactory, seed: int) -> None:
    rnd = random.Random(seed)
    window = wolkvox_window()
    variant = shuffled(drop(window, rnd, {"error", "msg", "customer_phone"}, set()), rnd)
    rnd.shuffle(variant["data"])

    def normalize(payload: dict) -> list[dict]:
        store = DataStore(str(tmp_path_factory.mktemp("w")))
        files = {"window-20251003000000-20251003235959.json": (json.dumps(payload).encode(), {"status": 200})}
        return rows(wolkvox_normalize(stage(store, "wolkvox", DAY, "0042", files)))

    assert normalize(variant) == normalize(window)


def wannabot_sessions() -> list[tuple[str, list[dict], str]]:
    api = WannabotApi(CONFIG, Counters())
    bot, convs = api._conversations(0, date.fromisoformat(DAY))
    return [
        (f"s{conv.number}", api._render(f"s{conv.number}", bot, conv), conv.started_at.isoformat())
        for conv in convs
    ]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**32))
def test_wannabot_shapes(tmp_path_factory: pytest.TempPathFactory, seed: int) -> None:
    rnd = random.Random(seed)
    sessions = wannabot_sessions()

    def normalize(items: list[tuple[str, list[dict], str]]) -> list[dict]:
        store = DataStore(str(tmp_path_factory.mktemp("wb")))
        files = {
            f"{sid}.json": (
                json.dumps(history).encode(),
                {"status": 200, "session_id": sid, "created_at": created},
            )
            for sid, history, created in items
        }
        return rows(wannabot_normalize(stage(store, "wannabot", DAY, "bot", files)))

    variant = [
        (
            sid,
            shuffled(
                drop(h, rnd, {"active", "placeholder", "onclick"}, {"is_error", "buttons", "is_typing"}), rnd
            ),
            created,
        )
        for sid, h, created in sessions
    ]
    rnd.shuffle(variant)
    assert normalize(variant) == normalize(sessions)


def neoagent_answer() -> dict:
    from chat_assets.neoagent.simulator import NeoagentApi
    from chat_assets.simulator.server import SimRequest

    api = NeoagentApi(CONFIG, Counters())
    serial = CONFIG.accounts["neoagent"][0]
    body = json.dumps({"SerialNumber": serial, "StartTime": "2025-10-03", "EndTime": "2025-10-04"}).encode()
    request = SimRequest(
        "POST",
        "/chat/Chatbot/ChatContentHistory",
        {},
        {"authorization": CONFIG.credentials["NEOAGENT_API_KEY"]},
        body,
        "http://sim",
    )
    return json.loads(api.handle(request).body)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**32))
def test_neoagent_shapes(tmp_path_factory: pytest.TempPathFactory, seed: int) -> None:
    rnd = random.Random(seed)
    answer = neoagent_answer()
    variant = shuffled(drop(answer, rnd, {"URI", "Version", "Message"}, set()), rnd)
    rnd.shuffle(variant["Data"])

    def normalize(payload: dict) -> list[dict]:
        store = DataStore(str(tmp_path_factory.mktemp("n")))
        rel = store.write_shared("neoagent", "s", "range.json", json.dumps(payload).encode())
        with store.raw_fetch("neoagent", DAY, "s", {}) as fetch:
            fetch.reference(rel)
        inp = NormalizeInput(store, "neoagent", DAY, "s", store.raw_manifest("neoagent", DAY, "s") or {}, TZ)
        return rows(neoagent_normalize(inp))

    reference = normalize(answer)
    assert reference and normalize(variant) == reference


# -- types that contradict the documents ----------------------------------------------------

CONTRADICTIONS = [
    (
        "jelou",
        "page-0001.json",
        b'{"pagination": {"totalPages": 1}, "results": "none"}',
        "'results' should be a list",
    ),
    (
        "jelou",
        "page-0001.json",
        b'{"results": [{"by": "user", "bubble": "hola", "createdAt": "2025-10-03T10:00:00Z"}]}',
        "'results[0].bubble' should be an object",
    ),
    (
        "wannabot",
        "s1.json",
        b'{"session_id": "s1", "is_user": true, "data": {"text": "hola"}}',
        "'messages' should be a list",
    ),
    (
        "wannabot",
        "s1.json",
        b'[{"session_id": "s1", "is_user": true, "data": ["hola"]}]',
        "'messages[0].data' should be an object",
    ),
    (
        "wolkvox",
        "window-20251003000000-20251003235959.json",
        b'{"code": 200, "data": {"conn_id": "1"}}',
        "'data' should be a list",
    ),
    (
        "wolkvox",
        "window-20251003000000-20251003235959.json",
        b'{"code": 200, "data": [{"conn_id": "1", "conversation": [{"message": ["a"]}]}]}',
        "'data[0].conversation[0].message' should be text",
    ),
]


@pytest.mark.parametrize(("vendor", "name", "payload", "problem"), CONTRADICTIONS)
def test_a_type_that_contradicts_the_document_is_a_clear_error(
    store: DataStore, vendor: str, name: str, payload: bytes, problem: str
) -> None:
    normalize = {"jelou": jelou_normalize, "wannabot": wannabot_normalize, "wolkvox": wolkvox_normalize}[
        vendor
    ]
    inp = stage(
        store,
        vendor,
        DAY,
        "acct-1",
        {name: (payload, {"status": 200, "session_id": "s1", "created_at": "2025-10-03T10:00:00-05:00"})},
    )
    with pytest.raises(PayloadError) as caught:
        normalize(inp)
    message = str(caught.value)
    assert problem in message, message
    assert f"[{vendor}]" in message and "acct-1" in message and DAY in message and name in message


def test_neoagent_sessions_given_as_text_are_an_error(store: DataStore) -> None:
    rel = store.write_shared("neoagent", "s", "range.json", b'{"Success": true, "Data": "[]"}')
    with store.raw_fetch("neoagent", DAY, "s", {}) as fetch:
        fetch.reference(rel)
    inp = NormalizeInput(store, "neoagent", DAY, "s", store.raw_manifest("neoagent", DAY, "s") or {}, TZ)
    with pytest.raises(PayloadError, match="'Data' should be a list, found a string"):
        neoagent_normalize(inp)


def test_jelou_message_repeated_on_the_next_page_counts_once(store: DataStore) -> None:
    """New messages arriving while paging push one onto the next page too: stored once, the first time."""
    page = doc_json("jelou_200.json")
    [result] = page["results"]
    later = {**result, "messageId": "msg-2", "createdAt": "2025-01-15T10:31:00.000Z"}
    no_id = {**result, "createdAt": "2025-01-15T10:32:00.000Z"}
    no_id.pop("messageId")
    pages = {
        "page-0001.json": {**page, "results": [result, later]},
        "page-0002.json": {**page, "results": [later, no_id, dict(no_id)]},
    }
    inp = stage(
        store,
        "jelou",
        "2025-01-15",
        "bot-1",
        {name: (json.dumps(body).encode(), {"status": 200}) for name, body in pages.items()},
    )
    got = jelou_normalize(inp)["messages"].to_pylist()
    assert [r["message_id"] for r in got][:2] == ["msg-12345-67890-4a38-abcde-fghij", "msg-2"]
    # The repeat is stored from where it was first seen; messages without an id are never merged.
    assert [r["raw_ref"].rsplit("/", 1)[1] for r in got] == [
        "page-0001.json#0",
        "page-0001.json#1",
        "page-0002.json#1",
        "page-0002.json#2",
    ]


def _pages(n: int) -> list[bytes]:
    page = doc_json("jelou_200.json")
    [result] = page["results"]
    return [
        # Pretty-printed like some renderings: newlines between tokens, never inside a string.
        json.dumps({**page, "results": [{**result, "messageId": f"m-{i}"}]}, indent=2).encode()
        for i in range(n)
    ]


@pytest.mark.parametrize("piece_bytes", [1, 1_000, 8 << 20])  # a piece per document, a few, one
def test_read_json_many_reads_each_document_once_and_names_a_bad_one(
    piece_bytes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chat_assets import canonical
    from chat_assets.canonical import read_json_many
    from chat_assets.jelou.normalize import PAGE

    monkeypatch.setattr(canonical, "JSON_PIECE_BYTES", piece_bytes)

    docs = _pages(5)
    reads: list[int] = []

    def read(index: int) -> bytes:
        reads.append(index)
        return docs[index]

    lazily = read_json_many(read, len(docs), PAGE)
    # The same rows as parsing each document alone (the fallback path, and the oracle here).
    alone = pa.concat_tables([canonical.read_json(doc, PAGE) for doc in docs]).combine_chunks()
    assert lazily.equals(alone) and lazily.num_rows == 5
    assert lazily.column("results").num_chunks == 1  # one chunk: used without a copy
    assert reads == [0, 1, 2, 3, 4]  # one pass; nothing kept beyond the buffer Arrow parses
    assert [r["results"][0]["messageId"] for r in lazily.to_pylist()] == [f"m-{i}" for i in range(5)]
    docs[3] = b'{"results": "not a list"'
    with pytest.raises(ValueError) as caught:
        read_json_many(read, len(docs), PAGE)
    assert caught.value.args[1] == 3
    assert read_json_many(read, 0, PAGE).num_rows == 0


@settings(max_examples=200, deadline=None)
@given(
    texts=st.lists(
        st.one_of(st.none(), st.text(max_size=6), st.sampled_from(["", " ", "\u00a0", "\u3000 "]))
    ),
    start=st.integers(0, 3),
)
def test_empty_to_null_without_copying_gives_what_trimming_gave(texts: list[str | None], start: int) -> None:
    """Blank means what Arrow's trim means (Unicode whitespace), on slices too; text is shared, not copied."""
    import pyarrow.compute as pc

    from chat_assets.canonical import empty_to_null

    values = pa.array(texts, pa.string())[start:]
    fresh = pa.array(values.to_pylist(), pa.string())  # the oracle runs on an unsliced copy
    trimmed = pc.utf8_trim_whitespace(fresh)
    expected = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), fresh)
    got = empty_to_null(values)
    assert got.to_pylist() == expected.to_pylist()
    if not values.offset and len(values):
        assert got.buffers()[2] is None or got.buffers()[2].address == values.buffers()[2].address


LINKY = st.lists(
    st.one_of(
        st.none(),
        st.text(max_size=8),
        st.builds(
            lambda pad, scheme, host, ext, sep, rest: f"{pad}{scheme}://{host}{ext}{sep}{rest}",
            st.sampled_from(["", " ", "\t", "\u00a0"]),
            st.sampled_from(["http", "https", "HTTP", "ftp"]),
            st.sampled_from(["cdn.example.com/a", "x.co/b?c=1", ""]),
            st.sampled_from([".jpg", ".PDF", ".mp4", ".ogg", ".html", "", ".jpg?x=1"]),
            st.sampled_from(["", " ", "\n", "  \t"]),
            st.text(max_size=6),
        ),
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(texts=LINKY)
def test_split_leading_media_url_parsing_only_linked_messages_changes_nothing(
    texts: list[str | None],
) -> None:
    """The split reads only messages holding a link; every row comes out as splitting all of them did."""
    import pyarrow.compute as pc

    from chat_assets import canonical

    text = pa.array(texts, pa.string())
    # What the split was when it parsed every message (the oracle).
    parts = pc.extract_regex(pc.utf8_trim_whitespace(pc.fill_null(text, "")), canonical.LEADING_URL)
    url = pc.struct_field(parts, "url")
    kind = canonical.content_type_of_url(pc.fill_null(url, ""), "text")
    is_media = pc.and_(pc.is_valid(url), pc.is_in(kind, pa.array(canonical.MEDIA_CONTENT_TYPES)))
    caption = canonical.empty_to_null(pc.struct_field(parts, "rest"))
    expected = (
        pc.if_else(is_media, kind, "text").to_pylist(),
        pc.if_else(is_media, caption, text).to_pylist(),
        pc.if_else(is_media, url, pa.scalar(None, pa.string())).to_pylist(),
    )
    got = tuple(a.to_pylist() for a in canonical.split_leading_media_url(text))
    assert got == expected
