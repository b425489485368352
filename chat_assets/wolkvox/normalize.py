"""Wolkvox `chat_2` windows -> canonical `messages`, vectorized with Arrow.

Roles: `from` CUSTOMER is the customer; AGENT with `chat_bot` as sender name is the bot; any
other AGENT is a human agent. `date` is local time in the zone recorded at fetch time
(WOLKVOX_TIMEZONE); days are the project's (CHAT_ASSETS_TIMEZONE), so with the server in another
zone a day's conversations are those with a message in the project's day. `feeling` becomes
`provider_sentiment`. Attachments: a `data:...;base64,` blob becomes an image (or file) with no
text (the blob stays in raw only); a bare URL or an HTML anchor becomes image / audio / video /
file / location by its extension, the URL in `media_url` and only the anchor's link text (or a
maps link's coordinates) in `text`.

A conversation appears once in the warehouse: within a day it is kept once even when two
windows return it; across days, a conversation that started before this day and is also in
the previous day's raw belongs to the previous day. A window wider than the day (a backfill's
range answer, see client.py) gives the day what a one-day window would: the conversations with a
message in the day (one with no dated message at all goes to the window's first day).
"""

from __future__ import annotations

import functools
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chat_assets import canonical, datetimes
from chat_assets.normalized_asset import NormalizeInput
from chat_assets.partitions import day_before, day_bounds, local_day
from chat_assets.storage import DataStore

VENDOR = "wolkvox"
MESSAGE = pa.struct(
    [
        (name, pa.string())
        for name in (
            "channel",
            "from",
            "from_name",
            "to_name",
            "date",
            "message",
            "customer_id",
            "customer_phone",
            "feeling",
        )
    ]
)
CONVERSATION = pa.struct(
    [
        ("conn_id", pa.string()),
        ("agent_name", pa.string()),
        ("customer_name", pa.string()),
        ("conversation", pa.list_(MESSAGE)),
    ]
)
WINDOW = pa.schema([("data", pa.list_(CONVERSATION))])


def window_files(store: DataStore, day: str, account: str, manifest: dict) -> list[tuple[str, dict]]:
    out = []
    for entry in manifest.get("files", []):
        if entry["name"].startswith("window-") and entry.get("status") == 200 and not entry.get("superseded"):
            out.append((store.raw_file(store.raw_dir(VENDOR, day, account), manifest, entry), entry))
    return out


class Window:
    """One window answer, parsed and checked once: its conversations and each message's local time.

    A backfill's range answer covers up to 31 days and every one of them reads it (and the day
    after reads it again for its previous-day ids): parsed per day, a day cost the whole window
    twice, so normalizing a range grew with the window's size times its days.
    """

    def __init__(self, convs: pa.StructArray):
        self.convs = convs

    @functools.cached_property
    def dates(self) -> tuple[pa.Array, np.ndarray, np.ndarray]:
        """Each message's local time, its conversation, and which conversations have a dated message."""
        lists = self.convs.field("conversation")
        dates = pc.fill_null(pc.list_flatten(lists).field("date"), "")
        try:
            # An empty `date` (the document's own example) is no time; a present one must be a real time.
            local = datetimes.parse_local(dates, "datetime", what="message `date`", formats=("yyyy-mm-dd",))
        except ValueError as exc:
            raise ValueError(f"{exc} (the document's format is 'YYYY-MM-DD HH:MM:SS')") from None
        parent = pc.list_parent_indices(lists).to_numpy()
        dated = np.zeros(len(self.convs), dtype=bool)
        dated[parent[local.is_valid().to_numpy(zero_copy_only=False)]] = True
        return local, parent, dated

    @property
    def local_times(self) -> pa.ListArray:
        """Each conversation's messages' local times, as a list beside `conversation` (parsed once)."""
        offsets = self.convs.field("conversation").offsets
        return pa.ListArray.from_arrays(pc.subtract(offsets, offsets[0]), self.dates[0])

    def in_day(self, entry: dict, day: str, tz: str, day_zone: str) -> pa.Array:
        """Which conversations belong to `day` (a message in it), as a one-day window would say.

        `tz` is the zone of the `date` wall times, `day_zone` the zone of the day.
        """
        local, parent, dated = self.dates
        zone = ZoneInfo(tz)
        # The day's bounds as wall times of the server (unchanged when the zones are the same).
        start, end = (bound.astimezone(zone).replace(tzinfo=None) for bound in day_bounds(day, day_zone))
        inside = pc.and_(
            pc.greater_equal(local, pa.scalar(start, pa.timestamp("us"))),
            pc.less(local, pa.scalar(end, pa.timestamp("us"))),
        )
        hits = np.zeros(len(self.convs), dtype=bool)
        hits[parent[pc.fill_null(inside, False).to_numpy(zero_copy_only=False)]] = True
        ini = datetime.strptime(str(entry["window_ini"]), "%Y%m%d%H%M%S").replace(tzinfo=zone)
        first_day = local_day(ini, day_zone) == day
        # A conversation with no dated message at all goes to the window's first day.
        return pa.array(hits | (first_day & ~dated))


@functools.lru_cache(maxsize=2)
def _window(store: DataStore, rel: str, sha256: str, size: int | None) -> Window:
    """The window stored at `rel` (content-addressed by `sha256`); cached because it serves many days.

    Two: a day's range window and, where a new range begins, the one before it that the day's
    previous-day ids come from. Each is at most Wolkvox's 60,000 records.
    """
    # The recorded size lets a local read take one call (a 50 MB window was read in chunks and joined).
    convs = canonical.listed(store.read_bytes(rel, size), WINDOW, "data", "conversation")
    canonical.require(convs.field("conn_id"), "conn_id")
    canonical.items(convs.field("conversation"), "message")
    return Window(convs)


def read_conversations(
    store: DataStore,
    files: list[tuple[str, dict]],
    day: str | None = None,
    tz: str | None = None,
    day_zone: str | None = None,
) -> pa.Table:
    """Conversation-level table over the day's windows: conn_id, names, messages list, their local
    times (`local`, a list beside `conversation`), file, position.

    Given the day and the zone of `date` (and of the day, when it is another), a window wider than
    the day keeps only the day's conversations.
    """
    parts = []
    for rel, entry in files:
        try:
            window = _window(store, rel, entry["sha256"], entry.get("bytes"))
            keep = (
                window.in_day(entry, day, tz, day_zone or tz)
                if day and tz and entry.get("window_ini")
                else None
            )
            local = window.local_times
        except ValueError as exc:
            raise ValueError(str(exc), rel) from None
        convs, n = window.convs, len(window.convs)
        parts.append(
            pa.table(
                {
                    "conn_id": convs.field("conn_id"),
                    "agent_name": convs.field("agent_name"),
                    "customer_name": convs.field("customer_name"),
                    "conversation": convs.field("conversation"),
                    "local": local,
                    "file": canonical.const(rel, n),
                    "position": pa.array(range(n), pa.int32()),
                }
            )
        )
        if keep is not None and not pc.all(keep, min_count=0).as_py():  # a one-day window keeps all: no copy
            parts[-1] = parts[-1].filter(keep)
    if not parts:
        return pa.table({"conn_id": pa.array([], pa.string())})
    return pa.concat_tables(parts)


def previous_day_ids(store: DataStore, day: str, account: str, tz: str, day_zone: str) -> set[str]:
    prev = day_before(day)
    manifest = store.raw_manifest(VENDOR, prev, account)
    if not manifest or not manifest.get("complete"):
        return set()
    prev_tz = manifest.get("notes", {}).get("date_timezone") or tz
    convs = read_conversations(store, window_files(store, prev, account, manifest), prev, prev_tz, day_zone)
    return set(convs.column("conn_id").to_pylist()) if convs.num_rows else set()


def normalize_one(inp: NormalizeInput) -> dict[str, pa.Table]:
    files = window_files(inp.store, inp.day, inp.account, inp.manifest)
    tz = inp.manifest.get("notes", {}).get("date_timezone") or inp.tz
    try:
        convs = read_conversations(inp.store, files, inp.day, tz, inp.tz)
    except ValueError as exc:
        raise inp.payload_error(exc.args[1], f"a window is not the documented JSON: {exc.args[0]}") from None
    if not convs.num_rows:
        return {}
    # Within the day: one copy of each conversation (windows can overlap it).
    convs = canonical.first_rows(convs, "conn_id")

    lists = canonical.as_array(convs.column("conversation"))
    msgs = pc.list_flatten(lists)
    parent = pc.list_parent_indices(lists)
    position = canonical.positions_in_lists(lists)
    conn_id = pc.take(canonical.as_array(convs.column("conn_id")), parent)
    sent_at = canonical.local_to_utc(pc.list_flatten(canonical.as_array(convs.column("local"))), tz)

    # Across days: a conversation that began before this day and is in yesterday's raw is yesterday's.
    start_utc = pa.scalar(day_bounds(inp.day, inp.tz)[0], pa.timestamp("us", tz="UTC"))
    starts = pa.table({"c": parent, "t": sent_at}).group_by("c").aggregate([("t", "min")])
    began_before = starts.filter(pc.less(starts.column("t_min"), start_utc)).column("c")
    if len(began_before):
        try:
            earlier = previous_day_ids(inp.store, inp.day, inp.account, tz, inp.tz)
        except ValueError as exc:
            raise inp.payload_error(
                exc.args[1],
                f"the previous day's window (read to store each conversation once) "
                f"is not the documented JSON: {exc.args[0]}",
            ) from None
        ids = canonical.as_array(convs.column("conn_id"))
        drop_convs = [c for c in began_before.to_pylist() if ids[c].as_py() in earlier]
        if drop_convs:
            keep = pc.invert(pc.is_in(parent, pa.array(drop_convs, parent.type)))
            msgs, parent, position, conn_id, sent_at = (
                pc.filter(a, keep) for a in (msgs, parent, position, conn_id, sent_at)
            )
            inp.notes["conversations_left_to_previous_day"] = len(drop_convs)
    n = len(msgs)
    if not n:
        return {}

    sender = pc.utf8_upper(pc.fill_null(msgs.field("from"), ""))
    from_name = msgs.field("from_name")
    bot_name = pc.equal(pc.utf8_lower(pc.utf8_trim_whitespace(pc.fill_null(from_name, ""))), "chat_bot")
    role = pc.if_else(
        pc.equal(sender, "CUSTOMER"),
        "customer",
        pc.if_else(pc.equal(sender, "AGENT"), pc.if_else(bot_name, "bot", "agent"), "system"),
    )

    message = msgs.field("message")
    content_type, text, media_url = classify_messages(message)

    customer_id = pc.coalesce(
        canonical.empty_to_null(msgs.field("customer_id")),
        canonical.empty_to_null(msgs.field("customer_phone")),
    )
    channel = canonical.first_within(conn_id, pc.utf8_lower(canonical.empty_to_null(msgs.field("channel"))))
    table = canonical.messages_table(
        n,
        {
            "provider": VENDOR,
            "account": inp.account,
            "conversation_id": conn_id,
            "message_id": pc.binary_join_element_wise(conn_id, pc.cast(position, pa.string()), ":"),
            "seq": position,
            "sent_at": sent_at,
            "sender_role": role,
            "sender_id": pc.if_else(pc.equal(role, "customer"), customer_id, pa.scalar(None, pa.string())),
            "sender_name": canonical.empty_to_null(from_name),
            "customer_id": customer_id,
            "channel": channel,
            "content_type": content_type,
            "text": text,
            "media_url": media_url,
            "provider_sentiment": pc.utf8_lower(canonical.empty_to_null(msgs.field("feeling"))),
            **_conv_fields(convs, parent, position),
        },
    )
    return {"messages": table}


def classify_messages(message: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(content_type, text, media_url) of each message: blobs, anchors and bare URLs are attachments.

    An anchor keeps its URL in media_url and its link text in text; a bare URL is all media (text
    null; a maps link keeps its `q=` coordinates as text); a `data:` blob stays in raw only.
    Only the few messages that start like a link, a blob or an anchor go through the regexes.
    """
    message = canonical.as_array(message)
    n = len(message)
    content_type, text, media_url = canonical.const("text", n), message, canonical.const(None, n)
    head = pc.utf8_lower(pc.utf8_slice_codeunits(pc.utf8_trim_whitespace(pc.fill_null(message, "")), 0, 8))
    candidate = pc.or_(
        pc.or_(pc.starts_with(head, "data:"), pc.starts_with(head, "http")), pc.starts_with(head, "<a")
    )
    if not pc.any(candidate).as_py():
        return content_type, text, media_url
    where = pc.indices_nonzero(candidate)
    subset = pc.utf8_trim_whitespace(pc.take(message, where))
    lowered = pc.utf8_lower(subset)
    is_blob = pc.starts_with(lowered, "data:")
    blob_type = pc.if_else(pc.starts_with(lowered, "data:image/"), "image", "file")
    anchor = pc.extract_regex(
        subset, r"(?is)^<a\s[^>]*href=[\"'](?P<url>[^\"']+)[\"'][^>]*>(?P<label>.*?)</a>"
    )
    href = pc.struct_field(anchor, "url")
    label = canonical.empty_to_null(
        pc.utf8_trim_whitespace(
            pc.replace_substring_regex(pc.fill_null(pc.struct_field(anchor, "label"), ""), r"<[^>]+>", "")
        )
    )
    is_anchor = pc.is_valid(href)
    is_url = pc.match_substring_regex(subset, r"^https?://\S+$")
    url = pc.if_else(is_anchor, href, pc.if_else(is_url, subset, pa.scalar(None, pa.string())))
    url_type = canonical.content_type_of_url(pc.fill_null(url, ""))
    sub_type = pc.if_else(is_blob, blob_type, pc.if_else(pc.is_valid(url), url_type, "text"))
    place = pc.struct_field(pc.extract_regex(pc.fill_null(url, ""), r"[?&]q=(?P<q>-?[0-9.]+,-?[0-9.]+)"), "q")
    sub_text = pc.if_else(
        is_blob,
        pa.scalar(None, pa.string()),
        pc.if_else(is_anchor, label, pc.if_else(is_url, place, pc.take(message, where))),
    )
    content_type = pc.replace_with_mask(content_type, candidate, sub_type)
    text = pc.replace_with_mask(text, candidate, sub_text)
    media_url = pc.replace_with_mask(media_url, candidate, url)
    return content_type, text, media_url


def _conv_fields(convs: pa.Table, parent: pa.Array, position: pa.Array) -> dict[str, pa.Array]:
    take = lambda name: pc.take(canonical.as_array(convs.column(name)), parent)  # noqa: E731
    refs = pc.binary_join_element_wise(
        pc.cast(take("position"), pa.string()), pc.cast(position, pa.string()), "."
    )
    return {
        "customer_name": canonical.empty_to_null(take("customer_name")),
        "agent_name": canonical.empty_to_null(take("agent_name")),
        "raw_ref": pc.binary_join_element_wise(take("file"), refs, "#"),
    }
