"""Contacto Multichat CSV reports -> canonical `messages` and `captures`.

Nothing public documents these CSVs (NOTES.md), so reading is defensive and vectorized:
encoding from the BOM or a strict UTF-8 check (else cp1252), delimiter from the header line,
quoted fields with delimiters and line breaks, headers matched case- and accent-insensitively
against Spanish and English synonyms, columns in any order, unknown columns reported. A missing
required column fails with the list of columns found.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from chat_assets import canonical, schemas
from chat_assets.vendor_assets import NormalizeInput

VENDOR = "multichat"
BOM = b"\xef\xbb\xbf"

SYNONYMS: dict[str, tuple[str, ...]] = {
    "conversation_id": ("id_conversacion", "conversacion", "id_conversation", "conversation_id", "conversation",
                        "id_chat", "chat_id", "ticket", "id_ticket"),
    "datetime": ("fecha_hora", "fecha_y_hora", "datetime", "date_time", "timestamp", "fecha_mensaje", "fecha_envio"),
    "date": ("fecha", "date", "dia"),
    "time": ("hora", "time", "hora_mensaje"),
    "customer_phone": ("telefono", "numero_cliente", "celular", "customer_number", "customer_phone", "phone",
                       "numero", "whatsapp", "telefono_cliente", "movil"),
    "customer_name": ("nombre_cliente", "nombre", "customer_name", "cliente", "name", "contacto"),
    "direction": ("direccion", "direction", "sentido", "tipo_envio", "flujo", "origen"),
    "agent": ("agente", "asesor", "agent", "operador", "usuario"),
    "message_type": ("tipo", "tipo_mensaje", "message_type", "type", "tipo_de_mensaje"),
    "text": ("mensaje", "message", "texto", "contenido", "text", "body"),
    "message_id": ("id_mensaje", "message_id", "wamid", "id_message"),
}
REQUIRED = ("conversation_id", "direction", "text")
INBOUND = ("entrante", "in", "inbound", "recibido", "entrada", "cliente", "customer", "incoming")
OUTBOUND = ("saliente", "out", "outbound", "enviado", "salida", "outgoing", "bot", "agente", "asesor")
BOT_NAMES = ("", "bot", "chatbot", "chat_bot", "asistente virtual", "sistema")
TYPES = {
    "texto": "text", "text": "text", "txt": "text", "imagen": "image", "image": "image", "foto": "image",
    "documento": "file", "document": "file", "archivo": "file", "file": "file", "pdf": "file",
    "audio": "audio", "nota de voz": "audio", "voz": "audio", "video": "video", "ubicacion": "location",
    "location": "location", "sticker": "sticker", "contacto": "contact", "contact": "contact",
    "plantilla": "template", "template": "template", "botones": "buttons", "buttons": "buttons", "lista": "list",
}
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M",
                "%d-%m-%Y %H:%M:%S", "%Y/%m/%d %H:%M:%S")
_BOT_FILE = re.compile(r"-(bot[^.\s/-]*)\.csv", re.IGNORECASE)


def canon(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def read_csv(data: bytes) -> tuple[pa.Table, dict[str, str]]:
    """Read a Multichat CSV as all-string columns, whatever its encoding and delimiter."""
    if data.startswith(BOM):
        data, encoding = data[len(BOM):], "utf-8-sig"
    else:
        try:
            data.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "cp1252"
    first_line = data.split(b"\n", 1)[0].decode("utf-8" if encoding != "cp1252" else "cp1252", errors="replace")
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    header = next(csv.reader([first_line.rstrip("\r")], delimiter=delimiter), [])
    if not header or not any(h.strip() for h in header):
        raise ValueError("the CSV has no header line")
    table = pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(encoding="utf8" if encoding != "cp1252" else "cp1252", block_size=1 << 24),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(header, pa.string()),
                                             strings_can_be_null=False, quoted_strings_can_be_null=False),
    )
    return table, {"encoding": encoding, "delimiter": delimiter}


def map_columns(columns: list[str]) -> tuple[dict[str, str], list[str]]:
    """canonical role -> column as found; plus the columns nothing claimed."""
    by_canon = {canon(c): c for c in columns}
    found: dict[str, str] = {}
    for role, names in SYNONYMS.items():
        for name in names:
            if name in by_canon and by_canon[name] not in found.values():
                found[role] = by_canon[name]
                break
    unknown = [c for c in columns if c not in found.values()]
    return found, unknown


def conversations_to_messages(data: pa.Table, path: str, account: str, tz: str) -> tuple[pa.Table, list[str]]:
    cols, unknown = map_columns(data.column_names)
    missing = [r for r in REQUIRED if r not in cols]
    if "datetime" not in cols and not ("date" in cols and "time" in cols):
        missing.append("datetime (or date + time)")
    if missing:
        raise ValueError(f"missing column(s) {missing}; columns found: {data.column_names}")
    n = data.num_rows
    if "datetime" in cols:
        stamp = data.column(cols["datetime"])
    else:
        stamp = pc.binary_join_element_wise(data.column(cols["date"]), data.column(cols["time"]), " ")
    stamp = pc.utf8_trim_whitespace(canonical.as_array(stamp))
    parsed, _fmt = canonical.parse_times(stamp, TIME_FORMATS)
    if parsed is None:
        raise ValueError(f"unreadable message times, e.g. {stamp.slice(0, 3).to_pylist()}")
    sent_at = canonical.local_to_utc(parsed, tz)

    direction = pc.utf8_lower(pc.utf8_trim_whitespace(canonical.as_array(data.column(cols["direction"]))))
    inbound = pc.is_in(direction, pa.array(INBOUND))
    outbound = pc.is_in(direction, pa.array(OUTBOUND))
    bad = pc.invert(pc.or_(inbound, outbound))
    if pc.any(bad).as_py():
        values = pc.unique(pc.filter(direction, bad)).to_pylist()[:5]
        raise ValueError(f"unknown direction value(s) {values} in column '{cols['direction']}'")
    if "agent" in cols:
        agent = pc.utf8_trim_whitespace(canonical.as_array(data.column(cols["agent"])))
        is_bot = pc.is_in(pc.utf8_lower(agent), pa.array(BOT_NAMES))
    else:
        agent = canonical.const(None, n)
        is_bot = canonical.const(True, n, pa.bool_())
    role = pc.if_else(inbound, "customer", pc.if_else(is_bot, "bot", "agent"))
    agent_name = pc.if_else(pc.equal(role, "agent"), agent, pa.scalar(None, pa.string()))

    if "message_type" in cols:
        raw_type = pc.utf8_lower(pc.utf8_trim_whitespace(canonical.as_array(data.column(cols["message_type"]))))
        keys, values = pa.array(list(TYPES)), pa.array(list(TYPES.values()))
        idx = pc.index_in(raw_type, keys)
        content_type = pc.fill_null(pc.take(values, idx), "other")
        content_type = pc.if_else(pc.equal(raw_type, ""), "text", content_type)
    else:
        content_type = canonical.const("text", n)

    conversation = pc.utf8_trim_whitespace(canonical.as_array(data.column(cols["conversation_id"])))
    # Order within a conversation by time, then by file order (stable sort).
    frame = pd.DataFrame({"c": conversation.to_numpy(zero_copy_only=False),
                          "t": pc.cast(sent_at, pa.int64()).to_numpy(zero_copy_only=False)})
    order = pa.array(frame.sort_values(["c", "t"], kind="stable").index.to_numpy())
    take = lambda arr: pc.take(canonical.as_array(arr), order)  # noqa: E731
    conversation, sent_at, role = take(conversation), take(sent_at), take(role)
    seq = canonical.seq_within(conversation)
    row_number = pc.add(order, 2)  # line of the row in the file: header is line 1
    if "message_id" in cols:
        message_id = canonical.empty_to_null(take(data.column(cols["message_id"])))
    else:
        message_id = pa.nulls(n, pa.string())
    fallback_id = pc.binary_join_element_wise(conversation, pc.cast(seq, pa.string()), ":")
    customer_id = canonical.empty_to_null(take(data.column(cols["customer_phone"]))) if "customer_phone" in cols else None
    customer_name = canonical.empty_to_null(take(data.column(cols["customer_name"]))) if "customer_name" in cols else None
    agent_name = take(agent_name)
    table = canonical.messages_table(n, {
        "provider": VENDOR,
        "account": account,
        "conversation_id": conversation,
        "message_id": pc.coalesce(message_id, fallback_id),
        "seq": seq,
        "sent_at": sent_at,
        "sender_role": role,
        "sender_id": pc.if_else(pc.equal(role, "customer"), customer_id, pa.scalar(None, pa.string()))
        if customer_id is not None else None,
        "sender_name": pc.if_else(pc.equal(role, "customer"), customer_name,
                                  pc.if_else(pc.equal(role, "agent"), agent_name, pa.scalar(None, pa.string())))
        if customer_name is not None else None,
        "customer_id": customer_id,
        "customer_name": customer_name,
        "agent_name": agent_name,
        "channel": "whatsapp",
        "content_type": take(content_type),
        "text": take(data.column(cols["text"])),
        "raw_ref": canonical.raw_refs(path, pc.binary_join_element_wise("row=", pc.cast(row_number, pa.string()), "")),
    })
    return table, unknown


def captures_long(data: pa.Table, path: str, account: str, bot: str) -> pa.Table:
    """One row per (capture row, field), every column kept, values as written."""
    n, fields = data.num_rows, data.column_names
    if not n or not fields:
        return schemas.empty("captures")
    rows = pa.array(range(n), pa.int32())
    parts = []
    for field in fields:
        parts.append(pa.table({
            "provider": canonical.const(VENDOR, n),
            "account": canonical.const(account, n),
            "bot": canonical.const(bot, n),
            "row": rows,
            "field": canonical.const(field, n),
            "value": canonical.empty_to_null(data.column(field)),
            "raw_ref": canonical.raw_refs(path, pc.binary_join_element_wise(
                "row=", pc.cast(pc.add(rows, 2), pa.string()), "")),
        }))
    long = pa.concat_tables(parts).sort_by([("row", "ascending")])
    return schemas.conform("captures", long)


def normalize_one(inp: NormalizeInput) -> dict[str, pa.Table]:
    messages, captures, notes = [], [], {}
    for rel, entry in inp.files(suffix=".csv"):
        try:
            data, dialect = read_csv(inp.read(rel))
            if entry.get("kind") == "conversaciones":
                table, unknown = conversations_to_messages(data, rel, inp.account, inp.tz)
                messages.append(table)
                notes[rel.rsplit("/", 1)[1]] = {**dialect, "unknown_columns": unknown}
            else:
                match = _BOT_FILE.search(rel.rsplit("/", 1)[1])
                bot = match.group(1) if match else "unknown"
                captures.append(captures_long(data, rel, inp.account, bot))
                notes[rel.rsplit("/", 1)[1]] = {**dialect, "fields": data.column_names}
        except (ValueError, KeyError, pa.ArrowException) as exc:
            raise inp.payload_error(rel, f"{entry.get('kind', 'report')} CSV could not be read: {exc}") from None
    inp.notes["csv"] = json.dumps(notes, ensure_ascii=False)
    out: dict[str, pa.Table] = {}
    if messages:
        out["messages"] = pa.concat_tables(messages)
    if captures:
        out["captures"] = pa.concat_tables(captures)
    return out

