"""Jelou history pages -> canonical `messages`, with conversations derived by sessionization.

`by` user / bot / operator -> customer / bot / agent. The customer is whichever of sender and
recipient is not the bot (the sender for user messages, the recipient otherwise). Jelou has no
conversation id: a conversation is one customer's messages until `silence_minutes` (30 by
default) pass without any; its id is `<customer>-<first message time>` in UTC, deterministic.
Media bubbles keep their `mediaUrl` in `media_url` and their caption (if any) in `text`;
locations become "lat,lng". Every message of a conversation carries the channel its bot turns
name (`sender.type`). Messages repeated across pages (new ones arriving while paging) count once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from chat_assets import canonical
from chat_assets.normalized_asset import NormalizeInput

VENDOR = "jelou"
PARTY = pa.struct([("id", pa.string()), ("name", pa.string()), ("names", pa.string()), ("type", pa.string())])
COORDS = pa.struct([("lat", pa.float64()), ("lng", pa.float64())])
BUBBLE = pa.struct(
    [
        ("type", pa.string()),
        ("text", pa.string()),
        ("mediaUrl", pa.string()),
        ("caption", pa.string()),
        ("coordinates", COORDS),
        ("lat", pa.float64()),
        ("lng", pa.float64()),
    ]
)
RESULT = pa.struct(
    [
        ("recipient", PARTY),
        ("sender", PARTY),
        ("by", pa.string()),
        ("messageId", pa.string()),
        ("status", pa.string()),
        ("bubble", BUBBLE),
        ("createdAt", pa.string()),
    ]
)
PAGE = pa.schema([("results", pa.list_(RESULT))])
TYPES = {
    "TEXT": "text",
    "IMAGE": "image",
    "VIDEO": "video",
    "AUDIO": "audio",
    "DOCUMENT": "file",
    "FILE": "file",
    "LOCATION": "location",
    "STICKER": "sticker",
    "CONTACT": "contact",
    "TEMPLATE": "template",
    "BUTTONS": "buttons",
    "QUICK_REPLY": "buttons",
    "CAROUSEL": "cards",
    "LIST": "list",
}


def sessionize(customer: np.ndarray, epoch_us: np.ndarray, silence_us: int) -> np.ndarray:
    """Segment number per row (rows sorted by customer then time): a new customer or a gap starts one."""
    if not len(customer):
        return np.array([], dtype=np.int64)
    new = np.ones(len(customer), dtype=bool)
    new[1:] = (customer[1:] != customer[:-1]) | (np.diff(epoch_us) > silence_us)
    return np.cumsum(new) - 1


def normalize_one(inp: NormalizeInput, silence_minutes: int = 30) -> dict[str, pa.Table]:
    files = inp.files(prefix="page-", suffix=".json")
    pages = inp.read_json_documents(files, PAGE, "page")
    lists = canonical.as_array(pages.column("results"))
    paths = pa.array([rel for rel, _ in files], pa.string())
    try:
        rows = canonical.items(lists, "result")
    except canonical.MissingValueError as exc:
        raise inp.payload_error(paths[exc.parent].as_py(), str(exc)) from None
    if not len(rows):
        return {}
    file_of = pc.take(paths, pc.list_parent_indices(lists))
    position = canonical.positions_in_lists(lists)

    by = pc.utf8_lower(pc.fill_null(rows.field("by"), ""))
    role = pc.if_else(
        pc.equal(by, "user"),
        "customer",
        pc.if_else(pc.equal(by, "bot"), "bot", pc.if_else(pc.equal(by, "operator"), "agent", "system")),
    )
    sender, recipient = rows.field("sender"), rows.field("recipient")
    is_user = pc.equal(by, "user")
    customer = pc.if_else(is_user, sender.field("id"), recipient.field("id"))
    customer_name = pc.if_else(
        is_user,
        pc.coalesce(sender.field("name"), sender.field("names")),
        pc.coalesce(recipient.field("names"), recipient.field("name")),
    )
    try:
        sent_at = canonical.utc_times(canonical.require(rows.field("createdAt"), "createdAt"), "createdAt")
        canonical.require(rows.field("by"), "by")
    except canonical.MissingValueError as exc:
        raise inp.payload_error(
            file_of[exc.position].as_py(), f"result #{position[exc.position].as_py()}: {exc}"
        ) from None
    message_id = rows.field("messageId")

    # Messages repeated across pages (new ones arriving while paging) count once.
    ids = pc.fill_null(message_id, "")
    if pc.count_distinct(ids).as_py() != len(ids):
        dup = pd.Series(ids.to_numpy(zero_copy_only=False)).duplicated(keep="first").to_numpy()
        keep = pa.array(~(dup & (ids.to_numpy(zero_copy_only=False) != "")))
        rows, file_of, position, role, customer, customer_name, sent_at, message_id = (
            pc.filter(a, keep)
            for a in (rows, file_of, position, role, customer, customer_name, sent_at, message_id)
        )
        sender, recipient = rows.field("sender"), rows.field("recipient")
    customer_key = pc.fill_null(customer, "")
    order = pc.sort_indices(
        pa.table({"c": customer_key, "t": sent_at, "id": pc.fill_null(message_id, "")}),
        sort_keys=[("c", "ascending"), ("t", "ascending"), ("id", "ascending")],
    )
    take = lambda arr: pc.take(canonical.as_array(arr), order)  # noqa: E731
    epoch = pc.cast(take(sent_at), pa.int64()).to_numpy(zero_copy_only=False)
    segment = sessionize(
        pc.take(customer_key, order).to_numpy(zero_copy_only=False), epoch, silence_minutes * 60_000_000
    )
    first_of_segment = np.r_[0, np.flatnonzero(np.diff(segment)) + 1] if len(segment) else np.array([], int)
    # Arrow's %S carries fractions for sub-second units: format whole seconds, append the micros.
    seconds = pc.take(take(sent_at), pa.array(first_of_segment)).cast(pa.timestamp("s", tz="UTC"), safe=False)
    starts = pc.strftime(seconds, format="%Y%m%dT%H%M%S", locale="C")
    micros = (
        pa.array([f"{u % 1_000_000:06d}Z" for u in epoch[first_of_segment]])
        if len(first_of_segment)
        else pa.array([], pa.string())
    )
    start_text = pc.take(pc.binary_join_element_wise(starts, micros, ""), pa.array(segment))
    customer_sorted = take(customer)
    conversation = pc.binary_join_element_wise(pc.fill_null(customer_sorted, "unknown"), start_text, "-")
    n = len(order)
    seq = canonical.seq_within(conversation)

    bubble = rows.field("bubble")
    kind = pc.utf8_upper(pc.fill_null(bubble.field("type"), "TEXT"))
    keys, values = pa.array(list(TYPES)), pa.array(list(TYPES.values()))
    content_type = pc.fill_null(pc.take(values, pc.index_in(kind, keys)), "other")
    lat = pc.coalesce(bubble.field("coordinates").field("lat"), bubble.field("lat"))
    lng = pc.coalesce(bubble.field("coordinates").field("lng"), bubble.field("lng"))
    location = pc.binary_join_element_wise(pc.cast(lat, pa.string()), pc.cast(lng, pa.string()), ",")
    caption = pc.coalesce(
        canonical.empty_to_null(bubble.field("text")), canonical.empty_to_null(bubble.field("caption"))
    )
    media = canonical.empty_to_null(bubble.field("mediaUrl"))
    text = pc.coalesce(caption, location)
    fallback_id = pc.binary_join_element_wise(conversation, pc.cast(seq, pa.string()), ":")
    channel = pc.utf8_lower(canonical.empty_to_null(sender.field("type")))
    role_sorted = take(role)
    table = canonical.messages_table(
        n,
        {
            "provider": VENDOR,
            "account": inp.account,
            "conversation_id": conversation,
            "message_id": pc.coalesce(canonical.empty_to_null(take(message_id)), fallback_id),
            "seq": seq,
            "sent_at": take(sent_at),
            "sender_role": role_sorted,
            "sender_id": take(sender.field("id")),
            "sender_name": take(pc.coalesce(sender.field("name"), sender.field("names"))),
            "customer_id": customer_sorted,
            "customer_name": take(customer_name),
            "agent_name": pc.if_else(
                pc.equal(role_sorted, "agent"),
                take(pc.coalesce(sender.field("name"), sender.field("names"))),
                pa.scalar(None, pa.string()),
            ),
            # The bot's turns name the channel; the customer's and the operator's messages are on the same one.
            "channel": canonical.first_within(conversation, take(channel)),
            "content_type": take(content_type),
            "text": take(text),
            "media_url": take(media),
            "raw_ref": canonical.raw_refs(take(file_of), pc.cast(take(position), pa.string())),
        },
    )
    inp.notes["sessionization"] = f"{silence_minutes} min of silence ends a conversation"
    return {"messages": table}
