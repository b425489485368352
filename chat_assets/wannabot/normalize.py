"""Wannabot session histories -> canonical `messages`.

`is_user` is the customer, `is_bot` the bot; typing indicators (empty `data`) are dropped.
Images (the user's `data.image`, an IMAGE interaction's `image`) go to `media_url`. Bot text
comes from `interaction_data`: its `text`, plus a readable rendering of
CARDS / LIST elements ("title — subtitle", one per line) and of buttons ("[Sí | No]"), so an
analyst reads what the customer saw. `is_error` marks a fallback. Messages carry no time: the
first message of a session gets the registry's `created_at`, the others a null `sent_at`.

A session is read once per day even when the day's raw holds it twice: up to this round a
`refetch` kept the fetched-again history beside the stored one (`<id>-2.json`); the newest is read.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from chat_assets import canonical
from chat_assets.normalized_asset import NormalizeInput

VENDOR = "wannabot"
BUTTON = pa.struct([("title", pa.string())])
ELEMENT = pa.struct([("title", pa.string()), ("subtitle", pa.string()), ("buttons", pa.list_(BUTTON))])
INTERACTION = pa.struct(
    [
        ("text", pa.string()),
        ("image", pa.string()),
        ("buttons", pa.list_(BUTTON)),
        ("elements", pa.list_(ELEMENT)),
    ]
)
DATA = pa.struct(
    [
        ("text", pa.string()),
        ("image", pa.string()),
        ("type", pa.string()),
        ("is_error", pa.bool_()),
        ("interaction_data", INTERACTION),
    ]
)
MESSAGE = pa.struct(
    [
        ("session_id", pa.string()),
        ("is_typing", pa.bool_()),
        ("typing", pa.bool_()),
        ("bot", pa.struct([("id", pa.string()), ("type", pa.string())])),
        ("is_bot", pa.bool_()),
        ("is_user", pa.bool_()),
        ("data", DATA),
    ]
)
SESSION = pa.schema([("messages", pa.list_(MESSAGE))])
TYPES = {
    "TEXT": "text",
    "IMAGE": "image",
    "HTML": "html",
    "CARDS": "cards",
    "LIST": "list",
    "LOCATION": "location",
    "STRIPE_CHECKOUT": "checkout",
    "PUSH_PERMISSION": "push_permission",
    "PUSH_PERMITS": "push_permission",
    "VIDEO": "video",
    "AUDIO": "audio",
    "FILE": "file",
}
NULL = pa.scalar(None, pa.string())


def _joined(lists: pa.Array, labels_of: callable, separator: str) -> pa.Array:  # type: ignore[valid-type]
    """Join a per-row list of labels into one string per row; empty or null lists give null."""
    lists = canonical.as_array(lists)
    values = pc.list_flatten(lists)
    offsets = lists.offsets
    offsets = pc.subtract(offsets, offsets[0])
    labels = pa.ListArray.from_arrays(offsets, labels_of(values))
    out = pc.binary_join(labels, separator)
    return pc.if_else(pc.equal(pc.fill_null(out, ""), ""), NULL, out)


def _button_titles(buttons: pa.Array) -> pa.Array:
    return buttons.field("title") if len(buttons) else pa.array([], pa.string())


def _element_label(elements: pa.Array) -> pa.Array:
    if not len(elements):
        return pa.array([], pa.string())
    title, subtitle = elements.field("title"), elements.field("subtitle")
    return pc.coalesce(pc.binary_join_element_wise(title, subtitle, " — "), title, subtitle)


def _latest_per_session(files: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    """Each session's last file in fetch order (the newest), in the order the sessions first came."""
    latest: dict[str, tuple[str, dict]] = {}
    for rel, entry in files:
        latest[entry.get("session_id") or rel] = (rel, entry)
    return list(latest.values())


def normalize_one(inp: NormalizeInput) -> dict[str, pa.Table]:
    files = _latest_per_session(inp.files(suffix=".json"))
    sessions = inp.read_json_documents(files, SESSION, "session history", wrap_key="messages")
    lists = canonical.as_array(sessions.column("messages"))
    try:
        msgs = canonical.items(lists, "message")
    except canonical.MissingValueError as exc:
        raise inp.payload_error(files[exc.parent][0], str(exc)) from None
    if not len(msgs):
        return {}
    parent = pc.list_parent_indices(lists)
    position = canonical.positions_in_lists(lists)
    session_ids = pa.array(
        [entry.get("session_id") or rel.rsplit("/", 1)[1].removesuffix(".json") for rel, entry in files]
    )
    created = pc.cast(
        pa.array([entry.get("created_at") for _, entry in files], pa.string()), pa.timestamp("us", tz="UTC")
    )
    file_names = pa.array([rel for rel, _ in files])

    typing = pc.or_(pc.fill_null(msgs.field("is_typing"), False), pc.fill_null(msgs.field("typing"), False))
    keep = pc.invert(typing)
    # Only the fields read below are kept (filtering the whole message copied `data` twice), and
    # the parsed day is let go before the table is built: it was the largest part of the peak.
    data, is_user, is_bot, bot_kind, parent, position = (
        pc.filter(a, keep)
        for a in (
            msgs.field("data"),
            msgs.field("is_user"),
            msgs.field("is_bot"),
            msgs.field("bot").field("type"),
            parent,
            position,
        )
    )
    del sessions, lists, msgs, typing, keep
    n = len(data)
    if not n:
        return {}
    conversation = pc.take(session_ids, parent)
    seq = canonical.seq_within(conversation)

    is_user = pc.fill_null(is_user, False)
    is_bot = pc.fill_null(is_bot, False)
    role = pc.if_else(is_user, "customer", pc.if_else(is_bot, "bot", "system"))
    kind = pc.utf8_upper(pc.fill_null(data.field("type"), "TEXT"))
    bot_type = pc.fill_null(
        pc.take(pa.array(list(TYPES.values())), pc.index_in(kind, pa.array(list(TYPES)))), "other"
    )
    user_image = pc.is_valid(canonical.empty_to_null(data.field("image")))
    content_type = pc.if_else(is_user, pc.if_else(user_image, "image", "text"), bot_type)

    interaction = data.field("interaction_data")
    elements = _joined(interaction.field("elements"), _element_label, "\n")
    buttons = _joined(interaction.field("buttons"), _button_titles, " | ")
    buttons = pc.binary_join_element_wise("[", buttons, "]", "")
    base = canonical.empty_to_null(interaction.field("text"))
    bot_text = canonical.join_present([base, elements, buttons], "\n")
    bot_text = pc.if_else(pc.equal(bot_text, ""), NULL, bot_text)
    user_text = canonical.empty_to_null(data.field("text"))
    media_url = pc.if_else(
        is_user,
        canonical.empty_to_null(data.field("image")),
        canonical.empty_to_null(interaction.field("image")),
    )
    first = pc.equal(seq, 0)
    table = canonical.messages_table(
        n,
        {
            "provider": VENDOR,
            "account": inp.account,
            "conversation_id": conversation,
            "message_id": pc.binary_join_element_wise(conversation, pc.cast(seq, pa.string()), ":"),
            "seq": seq,
            "sent_at": pc.if_else(
                first, pc.take(created, parent), pa.scalar(None, pa.timestamp("us", tz="UTC"))
            ),
            "sender_role": role,
            "channel": pc.utf8_lower(canonical.empty_to_null(bot_kind)),
            "content_type": content_type,
            "text": pc.if_else(is_user, user_text, bot_text),
            "media_url": media_url,
            "is_fallback": pc.and_(is_bot, pc.fill_null(data.field("is_error"), False)),
            "raw_ref": canonical.raw_refs(pc.take(file_names, parent), pc.cast(position, pa.string())),
        },
    )
    inp.notes["sent_at"] = (
        "first message of each session = registry created_at; others null (no message times)"
    )
    return {"messages": table}
