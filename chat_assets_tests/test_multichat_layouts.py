"""Multichat layouts nobody documented: the same conversations in any plausible CSV give the same rows.

A property-based test generates layouts (header vocabularies, ambiguous `tipo`, column order,
extra columns, delimiters, encodings with and without BOM, quoting, CRLF, date and time formats)
from one set of conversations and asserts the canonical rows are exactly the conversations'.
Unit tests pin the independent rendering that broke the first version, the override, the
errors for ambiguity and impossible dates.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chat_assets.errors import ConfigError, PayloadError
from chat_assets.multichat.columns import ColumnsError, parse_override
from chat_assets.multichat.csvfile import read_csv
from chat_assets.multichat.normalize import conversations_to_messages, normalize_one
from chat_assets.storage import DataStore
from chat_assets_tests.vendor_docs import stage

TZ = "America/Bogota"
DAY = "2025-10-03"
PATH = "raw/multichat/2025-10-03/573007735764/conversaciones.csv"


@dataclass(frozen=True)
class Msg:
    conv: str
    at: datetime  # UTC, whole minutes
    role: str  # customer | bot | agent
    kind: str  # text | image | file | location
    text: str | None
    url: str | None = None
    agent: str = ""
    phone: str = "573001112233"
    name: str = "José Núñez"


T0 = datetime(2025, 10, 3, 13, 0, tzinfo=UTC)  # 08:00 in Bogotá
MESSAGES = (
    Msg("C-1", T0, "customer", "text", 'Hola; buenas, "urgente", ñandú'),
    Msg("C-1", T0 + timedelta(minutes=1), "bot", "text", "Con gusto:\nelige una opción | 1, 2 o 3"),
    Msg(
        "C-1", T0 + timedelta(minutes=2), "customer", "image", "mi factura", "https://cdn.example.com/a/f.jpg"
    ),
    Msg("C-1", T0 + timedelta(minutes=3), "agent", "text", "Soy Laura, ya reviso", agent="Laura Restrepo"),
    Msg("C-1", T0 + timedelta(minutes=4), "customer", "file", None, "https://cdn.example.com/a/doc.pdf"),
    Msg(
        "C-2",
        T0 + timedelta(hours=5, minutes=7),
        "customer",
        "text",
        "¿Tienen envío a Medellín?",
        phone="573109998877",
        name="Ana María Gómez",
    ),
    Msg(
        "C-2",
        T0 + timedelta(hours=5, minutes=8),
        "bot",
        "location",
        "6.24420,-75.58120",
        phone="573109998877",
        name="Ana María Gómez",
    ),
    Msg(
        "C-2",
        T0 + timedelta(hours=16, minutes=59),
        "customer",
        "text",
        "gracias!!",
        phone="573109998877",
        name="Ana María Gómez",
    ),  # 23:59 local: still the report's day
)

# Header vocabularies per role; `tipo` is ambiguous on purpose (it may hold the sender or the media type).
HEADERS = {
    "conversation_id": [
        "id_conversacion",
        "ID Conversación",
        "Conversation ID",
        "conversacion",
        "ID Chat",
        "ticket",
    ],
    "customer_id": ["numero_cliente", "Teléfono", "Customer Number", "celular", "WhatsApp"],
    "customer_name": ["nombre_cliente", "Nombre Cliente", "Customer Name", "NOMBRE"],
    "agent": ["agente", "Asesor", "Agent", "operador"],
    "text": ["mensaje", "Mensaje", "Message", "texto", "Contenido"],
}
SENDER_HEADERS = ["tipo", "Dirección", "direction", "Sentido", "Remitente", "origen", "Columna X"]
TYPE_HEADERS = ["tipo_mensaje", "Tipo", "Message Type", "tipo de mensaje", "formato", "Columna Y"]
SENDER_VOCABS = [
    {"customer": "entrante", "bot": "saliente", "agent": "saliente"},
    {"customer": "Entrante", "bot": "bot", "agent": "saliente"},
    {"customer": "IN", "bot": "OUT", "agent": "OUT"},
    {"customer": "cliente", "bot": "bot", "agent": "asesor"},
    {"customer": "inbound", "bot": "outbound", "agent": "outbound"},
    {"customer": "Cliente", "bot": "Chatbot", "agent": "Agente"},
]
TYPE_VOCABS = [
    {"text": "texto", "image": "imagen", "file": "documento", "location": "ubicacion"},
    {"text": "TEXT", "image": "IMAGE", "file": "DOCUMENT", "location": "LOCATION"},
    {"text": "Texto", "image": "Foto", "file": "Archivo", "location": "Ubicación"},
]
BOT_AGENT = ["", "Bot", "BOT", "chatbot"]
DATETIME_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%d/%m/%Y %I:%M:%S %p",
    "%d-%m-%Y %H:%M",
    "%Y/%m/%d %H:%M:%S",
]
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"]
TIME_FORMATS = ["%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p"]
AMPM = [("a. m.", "p. m."), ("AM", "PM"), ("a.m.", "p.m."), ("am", "pm")]
EXTRAS = [
    ("Etiqueta", ["soporte", "ventas"]),
    ("Canal", ["whatsapp"]),
    ("Estado", ["cerrado", "abierto"]),
    ("Observaciones", ["", "cliente frecuente"]),
    ("Línea", ["573007735764"]),
]


def _strftime(moment: datetime, fmt: str, ampm: tuple[str, str]) -> str:
    text = moment.strftime(fmt.replace("%p", "@@"))
    return text.replace("@@", ampm[0] if moment.hour < 12 else ampm[1])


@st.composite
def layouts(draw: st.DrawFn) -> dict:
    names = {role: draw(st.sampled_from(options)) for role, options in HEADERS.items()}
    sender_header = draw(st.sampled_from(SENDER_HEADERS))
    type_header = draw(st.sampled_from([h for h in TYPE_HEADERS if h.lower() != sender_header.lower()]))
    split_time = draw(st.booleans())
    layout = {
        "names": names,
        "sender_header": sender_header,
        "type_header": type_header if draw(st.booleans()) or True else None,
        "sender_vocab": draw(st.sampled_from(SENDER_VOCABS)),
        "type_vocab": draw(st.sampled_from(TYPE_VOCABS)),
        "bot_agent": draw(st.sampled_from(BOT_AGENT)),
        "split_time": split_time,
        "datetime_format": draw(st.sampled_from(DATETIME_FORMATS)),
        "date_format": draw(st.sampled_from(DATE_FORMATS)),
        "time_format": draw(st.sampled_from(TIME_FORMATS)),
        "ampm": draw(st.sampled_from(AMPM)),
        "date_header": draw(st.sampled_from(["fecha", "Fecha", "Date", "día"])),
        "time_header": draw(st.sampled_from(["hora", "Hora", "Time"])),
        "datetime_header": draw(st.sampled_from(["fecha_hora", "Fecha y hora", "Timestamp", "fecha"])),
        "extras": draw(st.lists(st.sampled_from(EXTRAS), max_size=2, unique_by=lambda e: e[0])),
        "delimiter": draw(st.sampled_from([",", ";", "|", "\t"])),
        "encoding": draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"])),
        "quoting": draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
        "newline": draw(st.sampled_from(["\r\n", "\n"])),
        "media_in_text": draw(st.booleans()),
    }
    layout["order"] = draw(st.permutations(range(len(columns(layout)))))
    return layout


def columns(layout: dict) -> list[str]:
    cols = [
        layout["names"]["conversation_id"],
        layout["names"]["customer_id"],
        layout["names"]["customer_name"],
        layout["sender_header"],
        layout["names"]["agent"],
        layout["type_header"],
        layout["names"]["text"],
    ]
    cols += (
        [layout["date_header"], layout["time_header"]]
        if layout["split_time"]
        else [layout["datetime_header"]]
    )
    if not layout["media_in_text"]:
        cols.append("url_adjunto")
    cols += [name for name, _ in layout["extras"]]
    return cols


def render(layout: dict, messages: tuple[Msg, ...] = MESSAGES) -> bytes:
    cols = columns(layout)
    ordered = [cols[i] for i in layout["order"]]
    out = io.StringIO()
    writer = csv.writer(
        out, delimiter=layout["delimiter"], quoting=layout["quoting"], lineterminator=layout["newline"]
    )
    writer.writerow(ordered)
    for i, m in enumerate(messages):
        local = m.at.astimezone(ZoneInfo(TZ))
        text = m.text or ""
        if m.url and layout["media_in_text"]:
            text = f"{m.url} {text}".strip()
        values = {
            layout["names"]["conversation_id"]: m.conv,
            layout["names"]["customer_id"]: m.phone,
            layout["names"]["customer_name"]: m.name,
            layout["sender_header"]: layout["sender_vocab"][m.role],
            layout["names"]["agent"]: m.agent
            if m.role == "agent"
            else (layout["bot_agent"] if m.role == "bot" else ""),
            layout["type_header"]: layout["type_vocab"][m.kind],
            layout["names"]["text"]: text,
            "url_adjunto": m.url or "",
        }
        if layout["split_time"]:
            values[layout["date_header"]] = local.strftime(layout["date_format"])
            values[layout["time_header"]] = _strftime(local, layout["time_format"], layout["ampm"])
        else:
            values[layout["datetime_header"]] = _strftime(local, layout["datetime_format"], layout["ampm"])
        for name, options in layout["extras"]:
            values[name] = options[i % len(options)]
        writer.writerow([values[c] for c in ordered])
    text = out.getvalue()
    if layout["encoding"] == "cp1252":
        return text.encode("cp1252")
    return text.encode(layout["encoding"])


def expected_rows(messages: tuple[Msg, ...] = MESSAGES) -> list[dict]:
    rows, seq = [], {}
    for m in sorted(messages, key=lambda m: (m.conv, m.at)):
        n = seq[m.conv] = seq.get(m.conv, -1) + 1
        rows.append(
            {
                "conversation_id": m.conv,
                "seq": n,
                "message_id": f"{m.conv}:{n}",
                "sent_at": m.at,
                "sender_role": m.role,
                "content_type": m.kind,
                "text": m.text,
                "media_url": m.url,
                "customer_id": m.phone,
                "customer_name": m.name,
                "agent_name": m.agent or None,
                "sender_id": m.phone if m.role == "customer" else None,
            }
        )
    return rows


def canonical_rows(data: bytes, override: dict[str, str] | None = None) -> list[dict]:
    table, _dialect = read_csv(data)
    messages, _found = conversations_to_messages(table, PATH, "573007735764", DAY, TZ, override)
    keys = list(expected_rows()[0])
    return [{k: row[k] for k in keys} for row in messages.to_pylist()]


GENERATED: list[int] = []


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layout=layouts())
def test_every_plausible_layout_gives_the_same_canonical_rows(layout: dict) -> None:
    GENERATED.append(1)
    assert canonical_rows(render(layout)) == expected_rows()


def test_the_property_test_ran_at_least_200_layouts() -> None:
    if not GENERATED:  # run alone: generate them here
        test_every_plausible_layout_gives_the_same_canonical_rows()
    assert len(GENERATED) >= 200


# The independent rendering that failed every day of the first version (issue 10).
INDEPENDENT = (
    "fecha,hora,id_conversacion,numero_cliente,nombre_cliente,tipo,agente,tipo_mensaje,mensaje\r\n"
    "2025-10-03,08:00:00,C-1,573001112233,José Núñez,entrante,,texto,Hola\r\n"
    "2025-10-03,08:00:02,C-1,573001112233,José Núñez,bot,,texto,Bienvenido\r\n"
    "2025-10-03,08:03:00,C-1,573001112233,José Núñez,saliente,Laura Restrepo,texto,Soy Laura\r\n"
    "2025-10-03,08:04:00,C-1,573001112233,José Núñez,entrante,,imagen,https://cdn.example.com/x.png recibo\r\n"
)


def test_the_independent_rendering_reads_with_tipo_as_sender() -> None:
    table, _ = read_csv(INDEPENDENT.encode())
    messages, found = conversations_to_messages(table, PATH, "573007735764", DAY, TZ)
    assert found["roles"]["sender"] == "tipo" and found["roles"]["message_type"] == "tipo_mensaje"
    rows = messages.to_pylist()
    assert [r["sender_role"] for r in rows] == ["customer", "bot", "agent", "customer"]
    assert rows[2]["agent_name"] == "Laura Restrepo"
    assert (rows[3]["content_type"], rows[3]["text"], rows[3]["media_url"]) == (
        "image",
        "recibo",
        "https://cdn.example.com/x.png",
    )


def test_two_columns_of_sender_words_are_an_error_not_a_guess() -> None:
    data = (
        b"id_conversacion;fecha_hora;col_a;col_b;mensaje\n"
        b"A;03/10/2025 10:00:00;entrante;cliente;hola\nA;03/10/2025 10:01:00;saliente;bot;hola\n"
    )
    with pytest.raises(
        ColumnsError,
        match=r"columns \['col_a', 'col_b'\] all look like the sender column.*"
        r"MULTICHAT_COLUMNS=sender=<column>",
    ):
        canonical_rows(data)
    table, _ = read_csv(data)
    messages, _ = conversations_to_messages(
        table, PATH, "573007735764", DAY, TZ, parse_override("sender=COL_A")
    )
    assert messages.column("sender_role").to_pylist() == ["customer", "bot"]


def test_override_is_validated_when_the_code_location_loads() -> None:
    assert parse_override("sender=tipo, message_type=tipo_mensaje") == {
        "sender": "tipo",
        "message_type": "tipo_mensaje",
    }
    for bad, why in (
        ("remitente=tipo", "unknown role"),
        ("sender", "not role=column"),
        ("sender=a,sender=b", "given twice"),
    ):
        with pytest.raises(ConfigError, match=why):
            parse_override(bad)
    from chat_assets.definitions import build_definitions

    env = {
        "MULTICHAT_LOGIN": "u",
        "MULTICHAT_TOKEN": "t",
        "MULTICHAT_NUMBERS": "573001112233",
        "MULTICHAT_COLUMNS": "who=tipo",
    }
    with pytest.raises(ConfigError, match="MULTICHAT_COLUMNS: unknown role 'who'"):
        build_definitions(env)


def test_override_naming_an_absent_column_lists_what_is_there() -> None:
    with pytest.raises(
        ColumnsError, match="names column 'remitente' for sender, but the file has no such column"
    ):
        canonical_rows(INDEPENDENT.encode(), {"sender": "remitente"})


@pytest.mark.parametrize(
    ("stamp", "problem"),
    [
        ("31/02/2025 10:00:00", "impossible date"),
        ("2025-09-31 10:00:00", "impossible date"),
        ("03/10/2025 25:00:00", "impossible date or time"),
        ("ayer 10:00", "no known date/time format"),
    ],
)
def test_impossible_or_unreadable_times_are_errors_naming_the_file(
    store: DataStore, stamp: str, problem: str
) -> None:
    data = f"id_conversacion;fecha_hora;direccion;mensaje\nA;{stamp};entrante;hola\n".encode()
    inp = stage(
        store, "multichat", DAY, "573007735764", {"conversaciones.csv": (data, {"kind": "conversaciones"})}
    )
    with pytest.raises(PayloadError, match=problem) as caught:
        normalize_one(inp)
    assert "conversaciones.csv" in str(caught.value) and "573007735764" in str(caught.value)


def test_day_first_or_month_first_is_settled_by_the_report_day() -> None:
    rows = (
        "id_conversacion;fecha;hora;direccion;mensaje\n"
        "A;03/10/2025;10:00;entrante;hola\n"
    )  # 3 October (the report's day), not 10 March
    table, _ = read_csv(rows.encode())
    messages, _ = conversations_to_messages(table, PATH, "573007735764", DAY, TZ)
    assert messages.column("sent_at").to_pylist() == [datetime(2025, 10, 3, 15, 0, tzinfo=UTC)]


def test_one_bad_byte_does_not_turn_a_utf8_file_into_mojibake() -> None:
    good = INDEPENDENT.encode("utf-8")
    broken = good.replace(b"Hola", b"Hol\xe1", 1)
    table, dialect = read_csv(broken)
    assert dialect.encoding == "utf-8" and dialect.replaced_bytes == 1
    assert "José Núñez" in table.column("nombre_cliente").to_pylist()
    _, cp = read_csv(INDEPENDENT.encode("cp1252"))
    assert cp.encoding == "cp1252"
