"""Jelou history pages -> canonical `messages`, with conversations derived by sessionization.

`by` user / bot / operator -> customer / bot / agent. The customer is whichever of sender and
recipient is not the bot (the sender for user messages, the recipient otherwise). Jelou has no
conversation id: a conversation is one customer's messages until `silence_minutes` (30 by
default) pass without any; its id is `<customer>-<first message time>` in UTC, deterministic.
Media bubbles keep their `mediaUrl` in `media_url` and their caption (if any) in `text`;
locations become "lat,lng". Every message of a conversation carries the channel its bot turns
name (`sender.type`). Messages repeated across pages (new ones arriving while paging) count once.

Conversations that cross local midnight are one conversation. Each message is stored on the day
Jelou returned it (the day it was sent), but a customer's first messages of day D that come within
the silence of their last conversation of D-1 continue it: same id (its start on D-1), seq counted
on from D-1's messages. So day D reads D-1's raw pages (the tail), when they are stored; why
that read is not a declared partition dependency: wolkvox/assets.py. A message that both days returned (a boundary instant) is kept on D-1. A
conversation that never falls silent across two midnights takes its id from D-1's view of it.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chat_assets import canonical
from chat_assets.normalized_asset import NormalizeInput
from chat_assets.partitions import day_before

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


def segment_starts(segment: np.ndarray) -> np.ndarray:
    """The first row of each segment `sessionize` numbered."""
    return np.r_[0, np.flatnonzero(np.diff(segment)) + 1]


def _is_user(rows: pa.Array) -> pa.Array:
    return pc.equal(pc.utf8_lower(pc.fill_null(rows.field("by"), "")), "user")


def customer_ids(rows: pa.Array, is_user: pa.Array | None = None) -> pa.Array:
    """Each message's customer: the sender of user messages, the recipient otherwise."""
    is_user = _is_user(rows) if is_user is None else is_user
    return pc.if_else(is_user, rows.field("sender").field("id"), rows.field("recipient").field("id"))


def customers(rows: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Each message's customer id and name (see `customer_ids`)."""
    sender, recipient = rows.field("sender"), rows.field("recipient")
    is_user = _is_user(rows)
    customer = customer_ids(rows, is_user)
    name = pc.if_else(
        is_user,
        pc.coalesce(sender.field("name"), sender.field("names")),
        pc.coalesce(recipient.field("names"), recipient.field("name")),
    )
    return customer, name


def read_results(inp: NormalizeInput) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
    """The day's results (each message once), the raw file and position of each, and its UTC time."""
    files = inp.files(prefix="page-", suffix=".json")
    pages = inp.read_json_documents(files, PAGE, "page")
    lists = canonical.as_array(pages.column("results"))
    paths = pa.array([rel for rel, _ in files], pa.string())
    try:
        rows = canonical.items(lists, "result")
    except canonical.MissingValueError as exc:
        raise inp.payload_error(paths[exc.parent].as_py(), str(exc)) from None
    # Each message's file as a code into the day's file names, spelled out only in raw_ref.
    file_of = pa.DictionaryArray.from_arrays(pc.list_parent_indices(lists), paths)
    position = canonical.positions_in_lists(lists)
    try:
        sent_at = canonical.utc_times(canonical.require(rows.field("createdAt"), "createdAt"), "createdAt")
        canonical.require(rows.field("by"), "by")
    except canonical.MissingValueError as exc:
        raise inp.payload_error(
            file_of[exc.position].as_py(), f"result #{position[exc.position].as_py()}: {exc}"
        ) from None
    # Messages repeated across pages (new ones arriving while paging) count once.
    ids = pc.fill_null(rows.field("messageId"), "")
    if len(pc.unique(ids)) != len(ids):  # unique: a quarter of count_distinct's time (measured)
        # In Arrow, not pandas: a Python object per id cost a day's worth of memory here.
        index = pa.array(np.arange(len(ids), dtype=np.int64))
        firsts = pa.table({"id": ids, "i": index}).group_by("id", use_threads=False).aggregate([("i", "min")])
        keep = pc.or_(pc.is_in(index, firsts.column("i_min")), pc.equal(ids, ""))
        rows, file_of, position, sent_at = (pc.filter(a, keep) for a in (rows, file_of, position, sent_at))
    return rows, file_of, position, sent_at


class Tail:
    """The previous day's last conversation of each customer: where today's first messages may belong.

    Per customer (`customers`, their ids): when that conversation started and last spoke (UTC
    microseconds) and how many of its messages that day stored.
    """

    def __init__(
        self,
        customers: pa.Array,
        start_us: np.ndarray,
        last_us: np.ndarray,
        count: np.ndarray,
        message_ids: pa.Array,
    ):
        self.customers, self.start_us, self.last_us, self.count = customers, start_us, last_us, count
        self.message_ids = message_ids

    @classmethod
    def empty(cls) -> Tail:
        none = np.array([], dtype=np.int64)
        return cls(pa.array([], pa.string()), none, none, none, pa.array([], pa.string()))

    @classmethod
    def of_day_before(cls, inp: NormalizeInput, silence_us: int) -> Tail | None:
        """None when the day before was never fetched (its conversations then start today)."""
        day = day_before(inp.day)
        manifest = inp.store.raw_manifest(VENDOR, day, inp.account)
        if not manifest:
            return None
        kept = _SEEN.pop((inp.store.root_url, inp.account), None)
        if kept is not None and kept[:2] == (day, _signature(manifest)):
            rows, sent_at = kept[2:]
        else:
            before = NormalizeInput(inp.store, VENDOR, day, inp.account, manifest, inp.tz)
            rows, _, _, sent_at = read_results(before)
        if not len(rows):
            return cls.empty()
        ordered = pa.table({"c": pc.fill_null(customer_ids(rows), ""), "us": pc.cast(sent_at, pa.int64())})
        ordered = ordered.take(pc.sort_indices(ordered, sort_keys=[("c", "ascending"), ("us", "ascending")]))
        codes = canonical.codes_of(ordered["c"])
        us = ordered["us"].to_numpy()
        segment = sessionize(codes, us, silence_us)
        # Each customer's last row, and the first row of the conversation it ends.
        last = np.r_[np.flatnonzero(codes[1:] != codes[:-1]), len(codes) - 1]
        first = segment_starts(segment)[segment[last]]
        ids = pc.drop_null(rows.field("messageId"))
        names = canonical.as_array(ordered["c"]).take(pa.array(last))
        return cls(names, us[first], us[last], last - first + 1, canonical.as_array(ids))


#: The last day each account's normalizer read, by (data dir, account): (day, _signature of its
#: manifest, the columns a tail needs, UTC times). In a range, day D+1 takes D's tail from here
#: instead of reading and parsing D's pages a second time; a different or refetched day is read.
_SEEN: dict[tuple[str, str], tuple[str, tuple, pa.StructArray, pa.Array]] = {}


def _signature(manifest: dict) -> tuple:
    return tuple((entry["name"], entry.get("sha256")) for entry in manifest.get("files", []))


def normalize_one(inp: NormalizeInput, silence_minutes: int = 30) -> dict[str, pa.Table]:
    silence_us = silence_minutes * 60_000_000
    rows, file_of, position, sent_at = read_results(inp)
    tail = Tail.of_day_before(inp, silence_us) if len(rows) else None
    # Only the fields a tail reads, sharing the day's buffers: four columns held until the next day.
    party = {
        p: pa.StructArray.from_arrays([rows.field(p).field("id")], names=["id"])
        for p in ("sender", "recipient")
    }
    _SEEN[(inp.store.root_url, inp.account)] = (
        inp.day,
        _signature(inp.manifest),
        pa.StructArray.from_arrays(
            [rows.field("by"), party["sender"], party["recipient"], rows.field("messageId")],
            names=["by", "sender", "recipient", "messageId"],
        ),
        sent_at,
    )
    if tail is not None and len(tail.message_ids):
        # A message at the boundary that the day before also returned is stored there, once.
        seen = pc.is_in(pc.fill_null(rows.field("messageId"), ""), tail.message_ids)
        if pc.any(seen).as_py():
            keep = pc.invert(seen)
            rows, file_of, position, sent_at = (
                pc.filter(a, keep) for a in (rows, file_of, position, sent_at)
            )
            inp.notes["messages_stored_the_day_before"] = len(seen) - len(rows)
    if not len(rows):
        return {}
    order = pc.sort_indices(
        pa.table(
            {
                "c": pc.fill_null(customer_ids(rows), ""),
                "t": sent_at,
                "id": pc.fill_null(rows.field("messageId"), ""),
            }
        ),
        sort_keys=[("c", "ascending"), ("t", "ascending"), ("id", "ascending")],
    )
    # The day is sorted once, as a whole, and the unsorted one let go: it used to live on beside a
    # sorted copy of each column, the largest part of the normalizer's peak memory. The customer
    # columns are computed again from the sorted day below, on purpose: carrying the unsorted
    # ones through the sort peaked 6 MB higher (measured).
    rows, file_of, position, sent_at = (
        pc.take(canonical.as_array(a), order) for a in (rows, file_of, position, sent_at)
    )
    by = pc.utf8_lower(pc.fill_null(rows.field("by"), ""))
    role = pc.if_else(
        pc.equal(by, "user"),
        "customer",
        pc.if_else(pc.equal(by, "bot"), "bot", pc.if_else(pc.equal(by, "operator"), "agent", "system")),
    )
    sender = rows.field("sender")
    customer, customer_name = customers(rows)
    message_id = rows.field("messageId")
    customer_key = pc.fill_null(customer, "")
    epoch = pc.cast(sent_at, pa.int64()).to_numpy(zero_copy_only=False)
    # Customers as integer codes (equal codes, equal ids): sessionizing compares neighbours only,
    # and a Python string per message cost memory; ids are spelled out below only where needed.
    customer_codes = canonical.codes_of(customer_key)
    segment = sessionize(customer_codes, epoch, silence_us)
    first_of_segment = segment_starts(segment)
    segment_start = epoch[first_of_segment].copy()
    seq_offset = np.zeros(len(first_of_segment), dtype=np.int32)
    if tail is not None and len(tail.customers):
        # A customer's first conversation of the day continues the day before's last one when it
        # began within the silence: one conversation, its id and seq counted from where it started.
        firsts = np.r_[True, customer_codes[first_of_segment][1:] != customer_codes[first_of_segment][:-1]]
        candidates = np.flatnonzero(firsts)
        first_ids = pc.take(customer_key, pa.array(first_of_segment[candidates]))
        at = pc.fill_null(pc.index_in(first_ids, tail.customers), -1).to_numpy()
        near = np.zeros(len(at), dtype=bool)
        near[at >= 0] = segment_start[candidates[at >= 0]] - tail.last_us[at[at >= 0]] <= silence_us
        continued = candidates[near]
        segment_start[continued] = tail.start_us[at[near]]
        seq_offset[continued] = tail.count[at[near]]
        inp.notes["conversations_continued_from_the_day_before"] = len(continued)
    elif tail is None:
        inp.notes["day_before"] = "not fetched: conversations running in from it start on this day"
    # Arrow's %S carries fractions for sub-second units: format whole seconds, append the micros.
    seconds = pa.array(segment_start // 1_000_000 * 1_000_000, pa.timestamp("us", tz="UTC")).cast(
        pa.timestamp("s", tz="UTC")
    )
    starts = pc.strftime(seconds, format="%Y%m%dT%H%M%S", locale="C")
    micros = pa.array([f"{u % 1_000_000:06d}Z" for u in segment_start])
    start_text = pc.take(pc.binary_join_element_wise(starts, micros, ""), pa.array(segment))
    conversation = pc.binary_join_element_wise(pc.fill_null(customer, "unknown"), start_text, "-")
    n = len(order)
    seq = pa.array(canonical.seq_within(conversation).to_numpy() + seq_offset[segment], pa.int32())

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
    table = canonical.messages_table(
        n,
        {
            "provider": VENDOR,
            "account": inp.account,
            "conversation_id": conversation,
            "message_id": pc.coalesce(canonical.empty_to_null(message_id), fallback_id),
            "seq": seq,
            "sent_at": sent_at,
            "sender_role": role,
            "sender_id": sender.field("id"),
            "sender_name": pc.coalesce(sender.field("name"), sender.field("names")),
            "customer_id": customer,
            "customer_name": customer_name,
            "agent_name": pc.if_else(
                pc.equal(role, "agent"),
                pc.coalesce(sender.field("name"), sender.field("names")),
                pa.scalar(None, pa.string()),
            ),
            # The bot's turns name the channel; the customer's and the operator's messages are on the same one.
            "channel": canonical.first_within(conversation, channel),
            "content_type": content_type,
            "text": text,
            "media_url": media,
            "raw_ref": canonical.raw_refs(file_of.cast(pa.string()), pc.cast(position, pa.string())),
        },
    )
    inp.notes["sessionization"] = f"{silence_minutes} min of silence ends a conversation"
    return {"messages": table}
