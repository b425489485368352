"""Each normalizer on its vendor document's own example, verbatim."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from chat_assets import schemas
from chat_assets.jelou.normalize import normalize_one as jelou_normalize
from chat_assets.multichat.client import MultichatClient
from chat_assets.neoagent.normalize import normalize_one as neoagent_normalize
from chat_assets.normalized_asset import NormalizeInput
from chat_assets.storage import DataStore
from chat_assets.wannabot.normalize import normalize_one as wannabot_normalize
from chat_assets.wolkvox.normalize import normalize_one as wolkvox_normalize
from chat_assets_tests.vendor_docs import doc_json, doc_text, stage, strip_comments, wannabot_doc_history


def rows(table):  # type: ignore[no-untyped-def]
    schemas.validate_messages(table)
    return table.to_pylist()


def test_jelou_document_example(store: DataStore) -> None:
    data = doc_text("jelou_200.json").encode()
    inp = stage(
        store,
        "jelou",
        "2025-01-15",
        "bot-12345-67890-abcde-fghij",
        {"page-0001.json": (data, {"status": 200})},
    )
    [row] = rows(jelou_normalize(inp)["messages"])
    assert row["sender_role"] == "bot"
    assert (
        row["customer_id"] == "1234567890" and row["customer_name"] == "John Doe"
    )  # the recipient, not the bot
    assert row["sender_id"] == "bot-12345-67890-abcde-fghij" and row["sender_name"] == "Your Company Bot"
    assert row["message_id"] == "msg-12345-67890-4a38-abcde-fghij"
    assert (
        row["text"] == "Hello, welcome to Jelou"
        and row["content_type"] == "text"
        and row["channel"] == "whatsapp"
    )
    assert row["sent_at"] == datetime(2025, 1, 15, 10, 30, tzinfo=UTC)
    assert row["conversation_id"] == "1234567890-20250115T103000000000Z" and row["seq"] == 0
    assert row["raw_ref"] == "raw/jelou/2025-01-15/bot-12345-67890-abcde-fghij/page-0001.json#0"


def test_neoagent_document_example(store: DataStore) -> None:
    data = strip_comments(doc_text("neoagent_response.jsonc")).encode()
    rel = store.write_shared(
        "neoagent", "36XXGxiYDigrQgg5xz4n45bcBW7qeYyW35", "2023-11-21_2023-11-22.json", data
    )
    with store.raw_fetch("neoagent", "2023-11-21", "36XXGxiYDigrQgg5xz4n45bcBW7qeYyW35", {}) as fetch:
        fetch.reference(rel)
    from chat_assets.normalized_asset import NormalizeInput

    inp = NormalizeInput(
        store,
        "neoagent",
        "2023-11-21",
        "36XXGxiYDigrQgg5xz4n45bcBW7qeYyW35",
        store.raw_manifest("neoagent", "2023-11-21", "36XXGxiYDigrQgg5xz4n45bcBW7qeYyW35"),
        "America/Bogota",
    )
    out = rows(neoagent_normalize(inp)["messages"])
    assert [(r["seq"], r["sender_role"], r["text"]) for r in out] == [
        (0, "bot", "¡Hola! ¿Cómo puedo ayudarte?"),
        (1, "customer", "quiero reservar una cita"),
        (2, "bot", "¡Perfecto! Selecciona la fecha y la hora que prefieras..."),
    ]
    assert {r["conversation_id"] for r in out} == {"31302"}
    assert out[0]["sent_at"] == datetime(2023, 11, 21, 16, 22, 42, 264484, tzinfo=UTC)
    assert out[1]["sent_at"] is None and out[2]["sent_at"] is None  # no per-message times, never invented


def test_neoagent_document_example_outside_the_local_day_is_not_kept(store: DataStore) -> None:
    data = strip_comments(doc_text("neoagent_response.jsonc")).encode()
    rel = store.write_shared("neoagent", "s", "range.json", data)
    with store.raw_fetch("neoagent", "2023-11-22", "s", {}) as fetch:
        fetch.reference(rel)
    from chat_assets.normalized_asset import NormalizeInput

    inp = NormalizeInput(
        store,
        "neoagent",
        "2023-11-22",
        "s",
        store.raw_manifest("neoagent", "2023-11-22", "s"),
        "America/Bogota",
    )
    assert neoagent_normalize(inp) == {}


def test_wannabot_document_example(store: DataStore) -> None:
    info = {
        "status": 200,
        "session_id": "2c1cc196f6ef3d594343711d",
        "created_at": "2025-10-03T09:15:00-05:00",
    }
    inp = stage(
        store,
        "wannabot",
        "2025-10-03",
        "1afc95aa3fc15b000118d69c",
        {"2c1cc196f6ef3d594343711d.json": (wannabot_doc_history(), info)},
    )
    [row] = rows(wannabot_normalize(inp)["messages"])
    assert row["sender_role"] == "bot" and row["content_type"] == "text" and row["is_fallback"] is False
    assert row["conversation_id"] == "2c1cc196f6ef3d594343711d" and row["channel"] == "web"
    assert row["text"] == "Hola usuario\n[Texto del bóton]"  # interaction text plus its buttons
    assert row["sent_at"] == datetime(2025, 10, 3, 14, 15, tzinfo=UTC)


def test_wannabot_session_stored_twice_by_an_old_refetch_is_read_once(store: DataStore) -> None:
    # Up to this round a refetch kept the fetched-again history beside the stored one (`<id>-2.json`).
    info = {
        "status": 200,
        "session_id": "2c1cc196f6ef3d594343711d",
        "created_at": "2025-10-03T09:15:00-05:00",
    }
    with store.raw_fetch("wannabot", "2025-10-03", "1afc95aa3fc15b000118d69c", {"test": True}) as fetch:
        for _ in range(2):
            fetch.add("2c1cc196f6ef3d594343711d.json", wannabot_doc_history(), **info)
    manifest = store.raw_manifest("wannabot", "2025-10-03", "1afc95aa3fc15b000118d69c") or {}
    assert [f["name"] for f in manifest["files"]] == [
        "2c1cc196f6ef3d594343711d.json",
        "2c1cc196f6ef3d594343711d-2.json",
    ]
    inp = NormalizeInput(
        store, "wannabot", "2025-10-03", "1afc95aa3fc15b000118d69c", manifest, "America/Bogota"
    )
    [row] = rows(wannabot_normalize(inp)["messages"])
    assert row["message_id"] == "2c1cc196f6ef3d594343711d:0"
    assert row["raw_ref"].split("#")[0].endswith("2c1cc196f6ef3d594343711d-2.json")  # the newest


def test_wannabot_cards_render_titles(store: DataStore) -> None:
    cards = doc_json("wannabot_cards_interaction.jsonc")
    history = [
        {
            "session_id": "s1",
            "bot": {"id": "b", "type": "web", "active": True},
            "is_bot": True,
            "is_user": False,
            "data": {"type": "CARDS", "is_error": True, "interaction_data": cards},
        }
    ]
    import json

    inp = stage(
        store,
        "wannabot",
        "2025-10-03",
        "b",
        {"s1.json": (json.dumps(history).encode(), {"session_id": "s1", "created_at": None})},
    )
    [row] = rows(wannabot_normalize(inp)["messages"])
    assert row["content_type"] == "cards" and row["is_fallback"] is True
    assert row["text"] == "Título de esta Card — Subtítulo de esta Card"


def test_wolkvox_document_example(store: DataStore) -> None:
    data = doc_text("wolkvox_chat2.json").encode()
    inp = stage(
        store,
        "wolkvox",
        "2025-10-03",
        "0042",
        {"window-20251003000000-20251003235959.json": (data, {"status": 200, "records": 1})},
    )
    [row] = rows(wolkvox_normalize(inp)["messages"])
    # The document's example is a skeleton of empty strings: nothing is invented from it.
    assert row["sender_role"] == "system" and row["sent_at"] is None and row["text"] == ""
    assert row["customer_id"] is None and row["provider_sentiment"] is None and row["conversation_id"] == ""


def test_wolkvox_filled_example_maps_roles_times_and_attachments(store: DataStore) -> None:
    import json

    example = json.loads(doc_text("wolkvox_chat2.json"))
    template = example["data"][0]["conversation"][0]
    turns = [
        ("CUSTOMER", "Ana Pérez", "chat_bot", "2025-10-03 08:00:05", "hola, necesito ayuda", "negative"),
        ("AGENT", "chat_bot", "Ana Pérez", "2025-10-03 08:00:07", "¿En qué te ayudo?", "neutral"),
        ("AGENT", "Laura Restrepo", "Ana Pérez", "2025-10-03 08:03:00", "Hola Ana, soy Laura", "positive"),
        (
            "CUSTOMER",
            "Ana Pérez",
            "Laura Restrepo",
            "2025-10-03 08:04:00",
            "data:image/png;base64,iVBORw0KGgo=",
            None,
        ),
        (
            "CUSTOMER",
            "Ana Pérez",
            "Laura Restrepo",
            "2025-10-03 08:05:00",
            '<a href="https://f.example.com/comprobante.pdf" target="_blank">comprobante.pdf</a>',
            None,
        ),
        (
            "CUSTOMER",
            "Ana Pérez",
            "Laura Restrepo",
            "2025-10-03 08:06:00",
            "https://f.example.com/audio.ogg",
            None,
        ),
    ]
    conversation = []
    for sender, name, to, when, message, feeling in turns:
        row = {
            **template,
            "channel": "whatsapp",
            "from": sender,
            "from_name": name,
            "to_name": to,
            "date": when,
            "message": message,
            "customer_id": "1020304050",
            "customer_phone": "573001112233",
        }
        if feeling:
            row["feeling"] = feeling
        else:
            row.pop("feeling")
        conversation.append(row)
    example["data"] = [
        {
            "conn_id": "778899",
            "agent_name": "Laura Restrepo",
            "customer_name": "Ana Pérez",
            "conversation": conversation,
        }
    ]
    inp = stage(
        store,
        "wolkvox",
        "2025-10-03",
        "0042",
        {"window-a.json": (json.dumps(example).encode(), {"status": 200})},
    )
    out = rows(wolkvox_normalize(inp)["messages"])
    assert [r["sender_role"] for r in out] == ["customer", "bot", "agent", "customer", "customer", "customer"]
    assert out[0]["sent_at"] == datetime(2025, 10, 3, 13, 0, 5, tzinfo=UTC)  # Bogotá is UTC-5
    assert [r["content_type"] for r in out[3:]] == ["image", "file", "audio"]
    assert out[3]["text"] is None  # the base64 blob stays in raw only
    assert (out[4]["text"], out[4]["media_url"]) == (
        "comprobante.pdf",
        "https://f.example.com/comprobante.pdf",
    )
    assert (out[5]["text"], out[5]["media_url"]) == (None, "https://f.example.com/audio.ogg")
    assert out[3]["media_url"] is None
    assert [r["provider_sentiment"] for r in out[:3]] == ["negative", "neutral", "positive"]
    assert {r["agent_name"] for r in out} == {"Laura Restrepo"} and out[0]["customer_id"] == "1020304050"
    assert [r["message_id"] for r in out[:2]] == ["778899:0", "778899:1"]


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        (
            "multichat_report_conversaciones.json",
            [
                "https://contacto-multichat.com/bot/chat_wa/ws/report/files/CsxHBrwAu5_conversaciones-22_2025-10-03.csv.zip"
            ],
        ),
        (
            "multichat_report_captura_datos.json",
            [
                "https://contacto-multichat.com/bot/chat_wa/ws/report/files/4MBr2L0Ygi_captura_datos-22_2025-10-03-bot5.csv.zip",
                "https://contacto-multichat.com/bot/chat_wa/ws/report/files/MSXJYxhm0Y_captura_datos-22_2025-10-03-bot682.csv.zip",
            ],
        ),
    ],
)
def test_multichat_document_report_answers(store: DataStore, fixture: str, expected: list[str]) -> None:
    body = doc_text(fixture).encode()
    client = MultichatClient(
        "https://mc.test/report/",
        "demo@gmail.com",
        "ea8a370002d6799116ffcf2911208a226c",
        "America/Bogota",
        transport=httpx.MockTransport(lambda r: httpx.Response(200, content=body)),
    )
    with store.raw_fetch("multichat", "2025-10-03", "573007735764", {}) as fetch:
        urls = client._report(fetch, "conversaciones", "573007735764", "2025-10-03", 1)
    assert urls == expected


def test_an_unreadable_stored_page_is_named_at_normalization(store: DataStore) -> None:
    from chat_assets.errors import PayloadError

    good = doc_text("jelou_200.json").encode()
    inp = stage(
        store,
        "jelou",
        "2025-01-15",
        "bot-1",
        {"page-0001.json": (good, {}), "page-0002.json": (b"<html>", {})},
    )
    with pytest.raises(PayloadError) as caught:
        jelou_normalize(inp)
    assert caught.value.raw_path.endswith("raw/jelou/2025-01-15/bot-1/page-0002.json")
    assert "page is not the documented JSON" in str(
        caught.value
    ) and "[jelou] account bot-1 day 2025-01-15" in str(caught.value)
