"""Multichat CSVs as real exports come: encodings, delimiters, quoting, header spellings, order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chat_assets.errors import PayloadError
from chat_assets.multichat.normalize import normalize_one
from chat_assets.storage import DataStore
from chat_assets_tests.vendor_docs import stage

SPANISH = (
    "Mensaje;Dirección;ID Conversación;Fecha;Hora;Teléfono;Nombre Cliente;Agente;Tipo;Etiqueta\r\n"
    '"Hola; buenas tardes ñandú 😊";Entrante;C-1;2025-10-03;08:00:00;573001112233;José Núñez;;texto;soporte\r\n'
    '"Con gusto:\r\nelige una opción";Saliente;C-1;2025-10-03;08:00:02;573001112233;José Núñez;Bot;texto;soporte\r\n'
    "https://cdn.example.com/f.jpg;ENTRANTE;C-1;2025-10-03;08:01:00;573001112233;José Núñez;;Imagen;soporte\r\n"
    "Soy Laura, ya reviso;saliente;C-1;2025-10-03;08:05:00;573001112233;José Núñez;Laura Restrepo;texto;soporte\r\n"
)
SNAKE = (
    "id_conversacion,fecha_hora,numero_cliente,nombre,direccion,asesor,tipo_mensaje,mensaje,id_mensaje\n"
    'X9,03/10/2025 23:59:59,5730,Ana,IN,,TEXTO,"uno, dos",wamid.1\n'
    "X9,03/10/2025 23:59:58,5730,Ana,OUT,,TEXTO,antes,wamid.0\n"
)


def normalize(store: DataStore, data: bytes, name: str = "conversaciones-22_2025-10-03.csv"):  # type: ignore[no-untyped-def]
    inp = stage(store, "multichat", "2025-10-03", "573007735764", {name: (data, {"kind": "conversaciones"})})
    return normalize_one(inp), inp


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_spanish_export_in_every_encoding(store: DataStore, encoding: str) -> None:
    text = SPANISH if encoding != "cp1252" else SPANISH.replace(" 😊", "")
    out, inp = normalize(store, text.encode(encoding))
    rows = out["messages"].to_pylist()
    assert [r["sender_role"] for r in rows] == ["customer", "bot", "customer", "agent"]
    assert rows[0]["text"].startswith("Hola; buenas tardes ñandú")
    assert rows[1]["text"] == "Con gusto:\r\nelige una opción"  # quoted line break, exactly as written
    assert rows[2]["content_type"] == "image" and rows[3]["agent_name"] == "Laura Restrepo"
    assert rows[2]["media_url"] == "https://cdn.example.com/f.jpg" and rows[2]["text"] is None
    assert rows[0]["sent_at"] == datetime(2025, 10, 3, 13, 0, tzinfo=UTC)
    assert rows[0]["customer_name"] == "José Núñez" and rows[0]["channel"] == "whatsapp"
    assert rows[0]["raw_ref"].endswith("conversaciones-22_2025-10-03.csv#row=2")
    assert "Etiqueta" in inp.notes["csv"]  # unknown columns are reported, not lost silently


def test_snake_case_comma_export_orders_by_time_and_keeps_ids(store: DataStore) -> None:
    out, _ = normalize(store, SNAKE.encode())
    rows = out["messages"].to_pylist()
    assert [(r["seq"], r["message_id"], r["text"]) for r in rows] == [
        (0, "wamid.0", "antes"),
        (1, "wamid.1", "uno, dos"),
    ]
    assert rows[1]["sent_at"] == datetime(2025, 10, 4, 4, 59, 59, tzinfo=UTC)


def test_missing_required_column_names_the_columns_found(store: DataStore) -> None:
    data = b"Fecha;Hora;Mensaje\n2025-10-03;08:00:00;hola\n"
    with pytest.raises(PayloadError) as caught:
        normalize(store, data)
    message = str(caught.value)
    assert "missing column role(s) ['conversation_id', 'sender']" in message
    assert (
        "columns found: 'Fecha' (e.g. '2025-10-03'); 'Hora' (e.g. '08:00:00'); 'Mensaje' (e.g. 'hola')"
        in message
    )
    assert "MULTICHAT_COLUMNS=conversation_id=<column>,sender=<column>" in message
    assert (
        "conversaciones-22_2025-10-03.csv" in message
        and "573007735764" in message
        and "2025-10-03" in message
    )
    assert caught.value.raw_path.endswith(
        "raw/multichat/2025-10-03/573007735764/conversaciones-22_2025-10-03.csv"
    )


def test_unknown_direction_value_is_named(store: DataStore) -> None:
    data = b"id_conversacion;fecha_hora;direccion;mensaje\nA;03/10/2025 10:00:00;lateral;hola\n"
    with pytest.raises(PayloadError, match=r"unknown sender value\(s\) \['lateral'\] in column 'direccion'"):
        normalize(store, data)


def test_captures_become_long_form_with_bot_from_file_name(store: DataStore) -> None:
    data = 'Fecha,Teléfono,Nombre,Motivo\n2025-10-03 08:00:00,5730,Ana,"Reclamo, urgente"\n'.encode()
    inp = stage(
        store,
        "multichat",
        "2025-10-03",
        "573007735764",
        {"captura_datos-22_2025-10-03-bot5.csv": (data, {"kind": "captura_datos"})},
    )
    captures = normalize_one(inp)["captures"].to_pylist()
    assert [(c["bot"], c["row"], c["field"], c["value"]) for c in captures] == [
        ("bot5", 0, "Fecha", "2025-10-03 08:00:00"),
        ("bot5", 0, "Teléfono", "5730"),
        ("bot5", 0, "Nombre", "Ana"),
        ("bot5", 0, "Motivo", "Reclamo, urgente"),
    ]


CELLS = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.tuples(CELLS, CELLS, CELLS), min_size=1, max_size=30),
    bom=st.booleans(),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    newline=st.sampled_from(["\n", "\r\n"]),
    filler=st.integers(0, 3),
)
def test_utf8_bytes_read_as_they_are_give_what_the_decoded_text_gives(
    rows: list[tuple[str, str, str]], bom: bool, delimiter: str, newline: str, filler: int
) -> None:
    """The fast path (UTF-8 bytes straight to Arrow) reads exactly what decoding the text reads.

    `filler` long rows push some files past the sniffed head, so the head and the whole differ.
    """
    import csv
    import io

    from chat_assets.multichat import csvfile

    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline, quoting=csv.QUOTE_ALL)
    writer.writerow(["Mensaje", "Dirección", "Fecha y hora 😊"])
    writer.writerows(rows + [("x" * 40_000, "ñ" * 20_000, "€")] * filler)
    data = (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")
    assert csvfile.utf8_body(data) is not None
    fast, fast_dialect = csvfile.read_csv(data)
    original = csvfile.utf8_body
    csvfile.utf8_body = lambda data: None  # the decode() path, as files in other encodings take
    try:
        slow, slow_dialect = csvfile.read_csv(data)
    finally:
        csvfile.utf8_body = original
    assert fast.equals(slow) and fast_dialect == slow_dialect
    assert fast.column_names == ["Mensaje", "Dirección", "Fecha y hora 😊"]
    assert fast.num_rows == len(rows) + filler
    assert fast_dialect.encoding == ("utf-8-sig" if bom else "utf-8") and fast_dialect.replaced_bytes == 0


def test_utf8_fast_path_leaves_other_bytes_to_decode() -> None:
    from chat_assets.multichat import csvfile

    assert csvfile.utf8_body("a;b\nñ;1\n".encode("cp1252")) is None
    assert csvfile.utf8_body("a;b\n1;2\n".encode("utf-16")) is None
    assert csvfile.utf8_body(b"a;b\n1;\x002\n") is None
    assert csvfile.utf8_body(b"a" * (csvfile.SNIFF_BYTES + 10) + b"\n1\n") is None  # header past the head
    body, head, encoding = csvfile.utf8_body(b"\xef\xbb\xbfa;b\n1;2\n") or (None, "", "")
    assert bytes(body) == b"a;b\n1;2\n" and head == "a;b\n1;2\n" and encoding == "utf-8-sig"
