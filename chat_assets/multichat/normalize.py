"""Contacto Multichat CSV reports -> canonical `messages` and `captures`.

Nothing public documents these CSVs (NOTES.md). `csvfile` reads the bytes (encoding, delimiter,
quoting), `columns` settles which column plays which role (values, header names, or
`MULTICHAT_COLUMNS`), `datetimes` reads the times strictly; this module turns the roles into
canonical rows, vectorized. Media messages keep their link in `media_url` and only what a person
wrote (the caption) in `text`.
"""

from __future__ import annotations

import json
import re
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from chat_assets import canonical, datetimes, schemas
from chat_assets.multichat import columns as roles
from chat_assets.multichat.csvfile import CsvError, read_csv
from chat_assets.normalized_asset import NormalizeInput

VENDOR = "multichat"
_BOT_FILE = re.compile(r"-(bot[^.\s/-]*)\.csv", re.IGNORECASE)
NULL = pa.scalar(None, pa.string())


def _column(data: pa.Table, name: str) -> pa.Array:
    return canonical.as_array(data.column(name))


def _sender_class(values: pa.Array) -> pa.Array:
    """customer, bot, agent or system from the sender word; `outbound` for a generic outbound word
    (the agent column decides), `unknown` for a word in no vocabulary (blank included)."""
    sender = roles.words(values)
    out = pc.if_else(pc.is_in(sender, pa.array(roles.SYSTEM_WORDS)), "system", "outbound")
    for role, vocabulary in (
        ("agent", roles.AGENT_WORDS),
        ("bot", roles.BOT_WORDS),
        ("customer", roles.CUSTOMER_WORDS),
    ):
        out = pc.if_else(pc.is_in(sender, pa.array(vocabulary)), role, out)
    return pc.if_else(pc.is_in(sender, pa.array(roles.SENDER_WORDS)), out, "unknown")


def _sender_roles(data: pa.Table, cols: dict[str, str]) -> tuple[pa.Array, pa.Array]:
    """(sender_role, agent_name) from the sender column and, for generic outbound words, the agent column.

    Both columns hold a handful of distinct values, so each is classified once per value.
    """
    n = data.num_rows
    sender = pc.fill_null(_column(data, cols["sender"]), "")
    sender_class = canonical.per_distinct(sender, _sender_class)
    unknown = pc.equal(sender_class, "unknown")
    if pc.any(unknown).as_py():  # a message always has a sender
        values = pc.unique(pc.filter(sender, unknown)).to_pylist()[:5]
        raise ValueError(
            f"unknown sender value(s) {values} in column '{cols['sender']}'; known words are "
            f"{', '.join(roles.SENDER_WORDS)}"
        )
    if "agent" in cols:
        agent = pc.utf8_trim_whitespace(_column(data, cols["agent"]))
        agent_is_bot = pc.fill_null(
            canonical.per_distinct(
                agent, lambda names: pc.is_in(roles.words(names), pa.array(roles.BOT_AGENT_NAMES))
            ),
            False,
        )
    else:
        agent = canonical.const(None, n)
        agent_is_bot = canonical.const(True, n, pa.bool_())
    outbound = pc.if_else(agent_is_bot, "bot", "agent")
    role = pc.if_else(pc.equal(sender_class, "outbound"), outbound, sender_class)
    agent_name = pc.if_else(pc.and_(pc.equal(role, "agent"), pc.invert(agent_is_bot)), agent, NULL)
    return role, agent_name


def _times(data: pa.Table, cols: dict[str, str], day: date, tz: str) -> pa.Array:
    if "datetime" in cols:
        local = datetimes.parse_local(
            _column(data, cols["datetime"]), "datetime", what=f"column '{cols['datetime']}'", expect=day
        )
    else:
        local = datetimes.combine(
            datetimes.parse_local(
                _column(data, cols["date"]), "date", what=f"column '{cols['date']}'", expect=day
            ),
            datetimes.parse_local(_column(data, cols["time"]), "time", what=f"column '{cols['time']}'"),
        )
    if local.null_count:
        raise ValueError(f"{local.null_count} row(s) have no message time")
    return canonical.local_to_utc(local, tz)


def _content_type(values: pa.Array) -> pa.Array:
    """The canonical type of each type word: blank is text, a word in no vocabulary is `other`."""
    raw_type = roles.words(values)
    mapped = pc.take(
        pa.array(list(roles.TYPE_WORDS.values())), pc.index_in(raw_type, pa.array(list(roles.TYPE_WORDS)))
    )
    return pc.if_else(pc.equal(raw_type, ""), "text", pc.fill_null(mapped, "other"))


def _content(data: pa.Table, cols: dict[str, str]) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(content_type, text, media_url): a media message's leading link goes to media_url, its caption stays."""
    n = data.num_rows
    written = _column(data, cols["text"])
    if "message_type" in cols:
        content_type = canonical.per_distinct(
            pc.fill_null(_column(data, cols["message_type"]), ""), _content_type
        )
    else:
        content_type = None
    parts = pc.extract_regex(pc.utf8_trim_whitespace(written), canonical.LEADING_URL)
    url = pc.struct_field(parts, "url")
    rest = canonical.empty_to_null(pc.struct_field(parts, "rest"))
    if content_type is None:  # no type column: a message that is a media link is that medium
        content_type = pc.if_else(
            pc.is_valid(url), canonical.content_type_of_url(pc.fill_null(url, ""), "text"), "text"
        )
    is_media = pc.is_in(content_type, pa.array(canonical.MEDIA_CONTENT_TYPES))
    media_url = pc.if_else(is_media, url, NULL)
    text = pc.if_else(pc.and_(is_media, pc.is_valid(url)), rest, canonical.empty_to_null(written))
    if "media_url" in cols:
        media_url = pc.coalesce(canonical.empty_to_null(_column(data, cols["media_url"])), media_url)
    return content_type, text, canonical.as_array(media_url) if n else pa.array([], pa.string())


def conversations_to_messages(
    data: pa.Table | list[pa.Table],
    path: str,
    account: str,
    day: str,
    tz: str,
    override: dict[str, str] | None = None,
) -> tuple[pa.Table, dict[str, object]]:
    """A `conversaciones` CSV's table as canonical messages, and what was settled about its columns.

    The table may be handed over in a one-item list, which is emptied: it is then let go as soon as
    its columns are in order, before the canonical table is assembled (it was the CSV's size again
    at the normalizer's peak).
    """
    if isinstance(data, list):
        data = data.pop()
    if not data.num_rows:  # a day without chats: nothing to settle, the header alone proves nothing
        return schemas.empty("messages"), {"roles": {}, "unknown_columns": data.column_names}
    cols = roles.assign_roles(data, override)
    unknown = [c for c in data.column_names if c not in cols.values()]
    n = data.num_rows
    sent_at = _times(data, cols, date.fromisoformat(day), tz)
    role, agent_name = _sender_roles(data, cols)
    content_type, text, media_url = _content(data, cols)
    conversation = pc.utf8_trim_whitespace(_column(data, cols["conversation_id"]))
    if n and pc.any(pc.equal(conversation, "")).as_py():
        raise ValueError(
            f"{pc.sum(pc.equal(conversation, '')).as_py()} row(s) have an empty '{cols['conversation_id']}'"
        )
    # Order within a conversation by time, then by file order (Arrow's sort is stable). In Arrow,
    # not pandas: a Python string per row cost more memory than the day's raw bytes.
    order = pc.sort_indices(
        pa.table({"c": conversation, "t": sent_at}), sort_keys=[("c", "ascending"), ("t", "ascending")]
    )
    take = lambda arr: pc.take(canonical.as_array(arr), order)  # noqa: E731
    # Each column is put in order as soon as the order is known, and its unsorted self let go: held
    # until the table was assembled, they raised the peak by their size (the text above all).
    conversation, sent_at, role = take(conversation), take(sent_at), take(role)
    content_type, text, media_url, agent_name = (take(a) for a in (content_type, text, media_url, agent_name))
    seq = canonical.seq_within(conversation)
    row_number = pc.add(order, 2)  # line of the row in the file: header is line 1
    fallback_id = pc.binary_join_element_wise(conversation, pc.cast(seq, pa.string()), ":")
    message_id = (
        canonical.empty_to_null(take(_column(data, cols["message_id"]))) if "message_id" in cols else None
    )
    optional = {
        r: canonical.empty_to_null(take(_column(data, cols[r])))
        for r in ("customer_id", "customer_name")
        if r in cols
    }
    customer_id, customer_name = optional.get("customer_id"), optional.get("customer_name")
    del data  # every column needed is taken: the CSV's own table can go (docstring)
    is_customer = pc.equal(role, "customer")
    table = canonical.messages_table(
        n,
        {
            "provider": VENDOR,
            "account": account,
            "conversation_id": conversation,
            "message_id": fallback_id if message_id is None else pc.coalesce(message_id, fallback_id),
            "seq": seq,
            "sent_at": sent_at,
            "sender_role": role,
            "sender_id": None if customer_id is None else pc.if_else(is_customer, customer_id, NULL),
            "sender_name": pc.if_else(
                is_customer, customer_name if customer_name is not None else NULL, agent_name
            ),
            "customer_id": customer_id,
            "customer_name": customer_name,
            "agent_name": agent_name,
            "channel": "whatsapp",
            "content_type": content_type,
            "text": text,
            "media_url": media_url,
            "raw_ref": canonical.raw_refs(
                path, pc.binary_join_element_wise("row=", pc.cast(row_number, pa.string()), "")
            ),
        },
    )
    return table, {"roles": cols, "unknown_columns": unknown}


def captures_long(data: pa.Table, path: str, account: str, bot: str) -> pa.Table:
    """One row per (capture row, field), every column kept, values as written."""
    n, fields = data.num_rows, data.column_names
    if not n or not fields:
        return schemas.empty("captures")
    rows = pa.array(range(n), pa.int32())
    parts = []
    for field in fields:
        parts.append(
            pa.table(
                {
                    "provider": canonical.const(VENDOR, n),
                    "account": canonical.const(account, n),
                    "bot": canonical.const(bot, n),
                    "row": rows,
                    "field": canonical.const(field, n),
                    "value": canonical.empty_to_null(data.column(field)),
                    "raw_ref": canonical.raw_refs(
                        path, pc.binary_join_element_wise("row=", pc.cast(pc.add(rows, 2), pa.string()), "")
                    ),
                }
            )
        )
    long = pa.concat_tables(parts).sort_by([("row", "ascending")])
    return schemas.conform("captures", long)


def normalize_one(inp: NormalizeInput) -> dict[str, pa.Table]:
    messages, captures, notes = [], [], {}
    override = (
        roles.parse_override(getattr(inp.resource, "columns", None)) if inp.resource is not None else {}
    )
    for rel, entry in inp.files(suffix=".csv"):
        name = rel.rsplit("/", 1)[1]
        try:
            data, dialect = read_csv(inp.read(rel, entry.get("bytes")))
            if entry.get("kind") == "conversaciones":
                handed, data = [data], None  # not kept here: see conversations_to_messages
                table, found = conversations_to_messages(handed, rel, inp.account, inp.day, inp.tz, override)
                messages.append(table)
                notes[name] = {**dialect.as_notes(), **found}
            else:
                match = _BOT_FILE.search(name)
                bot = match.group(1) if match else "unknown"
                captures.append(captures_long(data, rel, inp.account, bot))
                notes[name] = {**dialect.as_notes(), "fields": data.column_names}
            if dialect.replaced_bytes:
                inp.notes["replaced_bytes"] = int(inp.notes.get("replaced_bytes", 0)) + dialect.replaced_bytes
        except (ValueError, KeyError, pa.ArrowException) as exc:
            kind = "cannot settle the columns" if isinstance(exc, roles.ColumnsError) else "could not be read"
            if isinstance(exc, CsvError | datetimes.DateTimeError | roles.ColumnsError):
                problem = str(exc)
            else:
                problem = f"{type(exc).__name__}: {exc}"
            raise inp.payload_error(
                rel, f"{entry.get('kind', 'report')} CSV {name} {kind}: {problem}"
            ) from None
    inp.notes["csv"] = json.dumps(notes, ensure_ascii=False)
    out: dict[str, pa.Table] = {}
    if messages:
        out["messages"] = pa.concat_tables(messages)
    if captures:
        out["captures"] = pa.concat_tables(captures)
    return out
