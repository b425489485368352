"""Neoagent sessions -> canonical `messages` for one local day.

The day's manifest references the range answers that cover it; sessions are kept when their
`CreateTime` falls in the local day (and counted once if two answers overlap). `Type` AI is the
bot, User the customer. Messages carry no time of their own: the first message of a session
gets the session's `CreateTime` (the session starts with it) and the others a null `sent_at`, so
derived time metrics stay null instead of inventing times. `URI` stays in the raw answer. A `Content`
that starts with a link to a medium keeps the link in `media_url` and the rest as `text`.
"""

from __future__ import annotations

import functools

import pyarrow as pa
import pyarrow.compute as pc

from chat_assets import canonical
from chat_assets.normalized_asset import NormalizeInput
from chat_assets.partitions import day_bounds
from chat_assets.storage import DataStore

VENDOR = "neoagent"
MESSAGE = pa.struct([("Type", pa.string()), ("Content", pa.string())])
SESSION = pa.struct(
    [
        ("SessionID", pa.int64()),
        ("CreateTime", pa.string()),
        ("URI", pa.string()),
        ("Messages", pa.list_(MESSAGE)),
    ]
)
ANSWER = pa.schema([("Data", pa.list_(SESSION))])


@functools.lru_cache(maxsize=4)
def _sessions(store: DataStore, rel: str, sha256: str, size: int | None) -> pa.Table:
    """Session-level table of one answer; cached because a range answer serves many days."""
    # The recorded size lets a local read take one call rather than chunks joined (see DataStore).
    sessions = canonical.listed(store.read_bytes(rel, size), ANSWER, "Data", "session")
    canonical.items(sessions.field("Messages"), "message")
    for field in ("SessionID", "CreateTime", "Messages"):
        canonical.require(sessions.field(field), field)
    return pa.table(
        {
            "session": pc.cast(sessions.field("SessionID"), pa.string()),
            "created": canonical.utc_times(sessions.field("CreateTime"), "CreateTime"),
            "messages": sessions.field("Messages"),
            "file": canonical.const(rel, len(sessions)),
            "position": pa.array(range(len(sessions)), pa.int32()),
        }
    )


def normalize_one(inp: NormalizeInput) -> dict[str, pa.Table]:
    parts = []
    for rel, entry in inp.files(suffix=".json"):
        try:
            parts.append(_sessions(inp.store, rel, entry["sha256"], entry.get("bytes")))
        except (ValueError, pa.ArrowInvalid) as exc:
            raise inp.payload_error(rel, f"answer is not the documented JSON: {exc}") from None
    if not parts:
        return {}
    sessions = pa.concat_tables(parts)
    start, end = day_bounds(inp.day, inp.tz)
    lo, hi = (pa.scalar(t, pa.timestamp("us", tz="UTC")) for t in (start, end))
    created = sessions.column("created")
    sessions = sessions.filter(pc.and_(pc.greater_equal(created, lo), pc.less(created, hi)))
    sessions = canonical.first_rows(sessions, "session")
    lists = canonical.as_array(sessions.column("messages"))
    msgs = pc.list_flatten(lists)
    n = len(msgs)
    if not n:
        return {}
    parent = pc.list_parent_indices(lists)
    seq = canonical.positions_in_lists(lists)
    take = lambda name: pc.take(canonical.as_array(sessions.column(name)), parent)  # noqa: E731
    session = take("session")
    kind = pc.utf8_lower(pc.fill_null(msgs.field("Type"), ""))
    role = pc.if_else(
        pc.equal(kind, "user"),
        "customer",
        pc.if_else(
            pc.equal(kind, "ai"),
            "bot",
            pc.if_else(pc.is_in(kind, pa.array(["human", "agent", "operator"])), "agent", "system"),
        ),
    )
    content_type, text, media_url = canonical.split_leading_media_url(msgs.field("Content"))
    first = pc.equal(seq, 0)
    sent_at = pc.if_else(first, take("created"), pa.scalar(None, pa.timestamp("us", tz="UTC")))
    refs = pc.binary_join_element_wise(pc.cast(take("position"), pa.string()), pc.cast(seq, pa.string()), ".")
    table = canonical.messages_table(
        n,
        {
            "provider": VENDOR,
            "account": inp.account,
            "conversation_id": session,
            "message_id": pc.binary_join_element_wise(session, pc.cast(seq, pa.string()), ":"),
            "seq": seq,
            "sent_at": sent_at,
            "sender_role": role,
            "channel": "web",
            "content_type": content_type,
            "text": text,
            "media_url": media_url,
            "raw_ref": pc.binary_join_element_wise(take("file"), refs, "#"),
        },
    )
    inp.notes["sent_at"] = (
        "first message of each session = CreateTime; others null (Neoagent gives no message times)"
    )
    return {"messages": table}
