"""Vectorized helpers that turn vendor columns into canonical `messages` rows.

Normalizers work on whole Arrow columns (no Python loop per message): these helpers cover what
several vendors need: local times to UTC, order within a conversation, content types from
URLs, `raw_ref` strings, and assembling the final table with defaults for absent columns.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

from chat_assets import memory, schemas

IMAGE_EXT = r"\.(jpe?g|png|gif|webp|heic|bmp)(\?.*)?$"
AUDIO_EXT = r"\.(mp3|ogg|opus|oga|wav|m4a|aac|amr)(\?.*)?$"
VIDEO_EXT = r"\.(mp4|mov|3gp|avi|mkv|webm)(\?.*)?$"


def const(value: Any, n: int, type_: pa.DataType | None = None) -> pa.Array:
    type_ = type_ or pa.string()
    if value is None:
        return pa.nulls(n, type_)
    return pa.repeat(pa.scalar(value, type_), n)


def as_array(values: Any) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        # One chunk is used as it is: combining would copy it (a whole day's nested results).
        return values.chunk(0) if values.num_chunks == 1 else values.combine_chunks()
    return values


def per_distinct(values: pa.Array, fn: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """`fn(values)` for an element-wise `fn`, computed once per distinct value.

    For the low-cardinality columns of a day (a sender word, a message type, an agent's name)
    this is a few dozen values instead of every row, then one `take`.
    """
    encoded = pc.dictionary_encode(as_array(values))
    return pc.take(fn(encoded.dictionary), encoded.indices)


def empty_to_null(values: pa.Array) -> pa.Array:
    """Blank text (empty or only whitespace) as null; the text itself is never copied.

    Blankness is computed as booleans (not by trimming a copy of every string), and the result
    shares the input's offsets and characters under a new validity bitmap: text columns are the
    bulk of a day, and each copy of them used to cost its size again in memory.
    """
    values = as_array(values)
    blank = pc.or_(pc.equal(values, ""), pc.utf8_is_space(values))
    if not pc.any(blank).as_py():
        return values
    if values.offset:
        # A slice gets buffers of its own first (if_else on a sliced string array returned
        # other rows' bytes in pyarrow 22: found by the property test).
        values = pa.concat_arrays([values])
    valid = pc.fill_null(pc.and_kleene(pc.is_valid(values), pc.invert(blank)), False)
    if valid.offset or not pa.types.is_string(values.type):
        return pc.if_else(valid, values, pa.scalar(None, values.type))
    _, offsets, data = values.buffers()
    return pa.Array.from_buffers(values.type, len(values), [valid.buffers()[1], offsets, data])


def local_to_utc(naive: pa.Array, tz: str) -> pa.Array:
    """Naive local timestamps in `tz` to UTC microseconds; DST gaps and folds take the earliest."""
    naive = as_array(naive).cast(pa.timestamp("us"))
    aware = pc.assume_timezone(naive, timezone=tz, ambiguous="earliest", nonexistent="earliest")
    return aware.cast(pa.timestamp("us", tz="UTC"))


def codes_of(values: pa.Array) -> np.ndarray:
    """Equal values, equal integer codes (nulls share a code of their own).

    Arrow and NumPy, not pandas: a Python object per value cost memory, and importing pandas alone
    kept some 45 MB resident in every step's process.
    """
    return pc.dictionary_encode(as_array(values), null_encoding="encode").indices.to_numpy()


def seq_within(conversation_ids: pa.Array) -> pa.Array:
    """0-based position of each row within its conversation, rows taken in their current order."""
    codes = codes_of(conversation_ids)
    n = len(codes)
    order = np.argsort(codes, kind="stable")
    ranked = codes[order]
    starts = np.ones(n, dtype=bool)
    starts[1:] = ranked[1:] != ranked[:-1]
    rows = np.arange(n)
    seq = np.empty(n, dtype=np.int32)
    seq[order] = rows - np.maximum.accumulate(np.where(starts, rows, 0))
    return pa.array(seq, pa.int32())


def first_occurrences(values: pa.Array) -> pa.Array:
    """True where a value (nulls included) appears for the first time."""
    codes = codes_of(values)
    keep = np.zeros(len(codes), dtype=bool)
    keep[np.unique(codes, return_index=True)[1]] = True
    return pa.array(keep)


def first_rows(table: pa.Table, column: str) -> pa.Table:
    """`table` with each value of `column` kept at its first row only.

    The table itself when no value repeats (the usual day): filtering copies every column, and a
    day's nested messages are most of its memory (the copy lived beside the answer it came from).
    """
    keep = first_occurrences(table.column(column))
    return table if pc.all(keep, min_count=0).as_py() else table.filter(keep)


def positions_in_lists(list_array: pa.Array) -> pa.Array:
    """For a flattened list column, each element's index inside its own list."""
    list_array = as_array(list_array)
    parents = pc.list_parent_indices(list_array).to_numpy()
    offsets = list_array.offsets.to_numpy()
    # Flattened element i sits at absolute offset offsets[0] + i.
    positions = offsets[0] + np.arange(len(parents)) - offsets[parents]
    return pa.array(positions.astype(np.int32), pa.int32())


def content_type_of_url(urls: pa.Array, default: str = "file") -> pa.Array:
    urls = as_array(urls)
    lowered = pc.utf8_lower(urls)
    out = const(default, len(urls))
    for kind, pattern in (("image", IMAGE_EXT), ("audio", AUDIO_EXT), ("video", VIDEO_EXT)):
        out = pc.if_else(pc.match_substring_regex(lowered, pattern), kind, out)
    maps = pc.match_substring_regex(
        lowered, r"^https?://(www\.)?(maps\.google|google\.[a-z.]+/maps|goo\.gl/maps)"
    )
    return pc.if_else(maps, "location", out)


def raw_refs(paths: pa.Array | str, positions: pa.Array, n: int | None = None) -> pa.Array:
    if isinstance(paths, str):
        paths = const(paths, n if n is not None else len(positions))
    return pc.binary_join_element_wise(paths, pc.cast(positions, pa.string()), "#")


def messages_table(n: int, columns: Mapping[str, Any]) -> pa.Table:
    """Assemble a canonical messages table; absent nullable columns are null, is_fallback false."""
    arrays = []
    for field in schemas.MESSAGES:
        value = columns.get(field.name)
        if value is None:
            if field.name == "is_fallback":
                value = const(False, n, pa.bool_())
            elif field.nullable:
                value = pa.nulls(n, field.type)
            else:
                raise KeyError(f"messages column '{field.name}' is required")
        elif isinstance(value, str | bool | int | float):
            value = const(value, n, field.type)
        value = as_array(value)
        if value.type != field.type:
            value = value.cast(field.type)
        arrays.append(value)
    return pa.Table.from_arrays(arrays, schema=schemas.MESSAGES)


def _coerce(value: Any, type_: pa.DataType, path: str = "") -> Any:
    """Make a parsed JSON value fit `type_`: scalars are forgiven (an id sent as a number is still the
    id), containers are not: a list or object where the document says otherwise is a ValueError
    naming where, because reading it as null would silently drop rows."""
    if value is None:
        return None
    if pa.types.is_string(type_):
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        if not isinstance(value, str):
            raise ValueError(f"'{path}' should be text, found {_json_kind(value)}")
        return value
    if pa.types.is_list(type_):
        if not isinstance(value, list):
            raise ValueError(f"'{path or '$'}' should be a list, found {_json_kind(value)}")
        return [_coerce(v, type_.value_type, f"{path}[{i}]") for i, v in enumerate(value)]
    if pa.types.is_struct(type_):
        if not isinstance(value, dict):
            raise ValueError(f"'{path or '$'}' should be an object, found {_json_kind(value)}")
        return {
            f.name: _coerce(value.get(f.name), f.type, f"{path}.{f.name}" if path else f.name) for f in type_
        }
    if pa.types.is_boolean(type_):
        if isinstance(value, list | dict):
            raise ValueError(f"'{path}' should be true or false, found {_json_kind(value)}")
        return value if isinstance(value, bool) else str(value).lower() in ("true", "1", "yes")
    if pa.types.is_integer(type_) or pa.types.is_floating(type_):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(f"'{path}' should be a number, found {_json_kind(value)}")
        try:
            return int(value) if pa.types.is_integer(type_) else float(value)
        except ValueError:
            raise ValueError(f"'{path}' should be a number, found {value!r:.40}") from None
    return value


def _json_kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def read_json(data: bytes, schema: pa.Schema, wrap_key: str | None = None) -> pa.Table:
    """Parse one JSON document into one row of `schema` with Arrow's reader (fast, no per-record
    Python); fields outside the schema are ignored. A document whose scalar types differ from the
    schema (ids sent as numbers, say) is coerced once in Python and read again.
    Raises ValueError when the bytes are not JSON at all.
    """
    if wrap_key:
        data = b'{"' + wrap_key.encode() + b'":' + data + b"}"
    options = pajson.ParseOptions(
        explicit_schema=schema, unexpected_field_behavior="ignore", newlines_in_values=True
    )
    read = pajson.ReadOptions(block_size=max(1 << 20, len(data) + 1))
    try:
        table = pajson.read_json(io.BytesIO(data), read_options=read, parse_options=options)
    except pa.ArrowInvalid:
        try:
            value = json.loads(data)
        except RecursionError:
            raise ValueError("the JSON is nested deeper than any vendor document") from None
        if not isinstance(value, dict):
            raise ValueError(f"expected a JSON object, got {type(value).__name__}") from None
        coerced = {f.name: _coerce(value.get(f.name), f.type, f.name) for f in schema}
        table = pajson.read_json(
            io.BytesIO(json.dumps(coerced).encode()), read_options=read, parse_options=options
        )
    if table.num_rows != 1:
        raise ValueError(f"expected one JSON document, found {table.num_rows}")
    return table


#: Bytes of documents parsed per Arrow call: the buffer and the parser's own working memory stay
#: this small whatever the day's size (one 59 MB buffer cost about 150 MB at its peak).
JSON_PIECE_BYTES = 8 << 20


def read_json_many(
    read: Callable[[int], bytes], total: int, schema: pa.Schema, wrap_key: str | None = None
) -> pa.Table:
    """One row per document, parsed by Arrow a few megabytes at a time (many small pages or sessions).

    Each document becomes one line: a newline outside a JSON string is whitespace, and inside a
    valid JSON string it cannot appear raw. When a piece does not parse, its documents are read
    one by one, so the caller learns which one is bad (ValueError with its index in `.args[1]`).

    `read(index)` gives the `total` documents' bytes one at a time: each is read when its line is
    appended and dropped right after, so at most one piece of the day's raw bytes is held at a
    time. The result has one chunk per column (as_array then takes it without a copy).
    """
    if not total:
        return schema.empty_table()
    head, tail = (b'{"' + wrap_key.encode() + b'":', b"}") if wrap_key else (b"", b"")
    options = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    between = tail + b"\n" + head  # what ends one line and opens the next
    pieces: list[pa.Table] = []
    data, first = bytearray(head), 0
    for index in range(total):
        doc = read(index)
        if b"\n" in doc:
            doc = doc.replace(b"\r\n", b" ").replace(b"\n", b" ")
        if index > first:
            data += between
        data += doc  # not stripped: spaces around a line's document are JSON whitespace
        del doc
        if len(data) >= JSON_PIECE_BYTES or index == total - 1:
            data += tail
            pieces.append(_read_piece(data, options, read, range(first, index + 1), schema, wrap_key))
            data, first = bytearray(head), index + 1
            memory.release_freed()  # the parser's working memory of the piece
    table = pieces[0] if len(pieces) == 1 else pa.concat_tables(pieces).combine_chunks()
    del pieces
    # The pieces' memory goes back to the system now, not whenever the allocator decides: it is
    # the peak of the normalizer that comes next (measured: about 100 MB on a 59 MB day).
    memory.release_freed()
    return table


def _read_piece(
    data: bytearray,
    options: pajson.ParseOptions,
    read: Callable[[int], bytes],
    indexes: range,
    schema: pa.Schema,
    wrap_key: str | None,
) -> pa.Table:
    try:
        table = pajson.read_json(
            pa.BufferReader(pa.py_buffer(data)),  # no copy of the piece's bytes
            # One block for the piece: one chunk per column.
            read_options=pajson.ReadOptions(block_size=min(max(1 << 20, len(data) + 1), (1 << 31) - 1)),
            parse_options=options,
        )
        if table.num_rows == len(indexes):
            return table
    except pa.ArrowInvalid:
        pass
    tables = []
    for index in indexes:
        try:
            tables.append(read_json(read(index), schema, wrap_key))
        except (ValueError, pa.ArrowInvalid) as exc:
            raise ValueError(str(exc), index) from None
    return pa.concat_tables(tables).combine_chunks()


def join_present(arrays: Sequence[pa.Array], separator: str) -> pa.Array:
    """Element-wise join that skips nulls (null only where every input is null).

    Written out because `binary_join_element_wise(..., null_handling="skip")` returned a
    shorter array than its inputs on some pyarrow 22 inputs.
    """
    out = as_array(arrays[0])
    for other in arrays[1:]:
        other = as_array(other)
        both = pc.binary_join_element_wise(out, other, separator)
        out = pc.if_else(pc.is_null(out), other, pc.if_else(pc.is_null(other), out, both))
    return out


#: Content types whose message carries a medium (its link goes to `media_url`).
MEDIA_CONTENT_TYPES = ("image", "file", "audio", "video", "sticker")
LEADING_URL = r"^(?P<url>https?://\S+)(?:\s+(?P<rest>[\s\S]*))?$"


def split_leading_media_url(text: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(content_type, text, media_url) for free text that may start with a media link.

    A message that starts with a link to an image, audio, video or document keeps the link in
    `media_url` and only the caption in `text` (null when there is none); anything else stays
    text as written (a link to a web page is something a person wrote).

    Only the messages holding a link are parsed; the others keep their text as it is, uncopied
    (trimming and splitting every message made three copies of a day's text).
    """
    text = as_array(text)
    n = len(text)
    plain = const("text", n), text, pa.nulls(n, pa.string())
    has_link = pc.fill_null(pc.match_substring_regex(text, "https?://"), False)
    if not pc.any(has_link).as_py():
        return plain
    where = pc.indices_nonzero(has_link)
    parts = pc.extract_regex(pc.utf8_trim_whitespace(pc.take(text, where)), LEADING_URL)
    url = pc.struct_field(parts, "url")
    kind = content_type_of_url(pc.fill_null(url, ""), "text")
    is_media = pc.fill_null(pc.and_(pc.is_valid(url), pc.is_in(kind, pa.array(MEDIA_CONTENT_TYPES))), False)
    if not pc.any(is_media).as_py():
        return plain
    mask = np.zeros(n, dtype=bool)
    mask[pc.filter(where, is_media).to_numpy()] = True
    media = pa.array(mask)
    caption = empty_to_null(pc.struct_field(parts, "rest"))
    return (
        pc.replace_with_mask(plain[0], media, pc.filter(kind, is_media)),
        pc.replace_with_mask(text, media, pc.filter(caption, is_media)),
        pc.replace_with_mask(plain[2], media, pc.filter(url, is_media)),
    )


def first_within(conversation_ids: pa.Array, values: pa.Array) -> pa.Array:
    """Rows without a value get their conversation's first value (e.g. the channel only the bot's turns
    name); a row's own value is kept."""
    values = as_array(values)
    if not len(values) or values.null_count in (0, len(values)):
        return values
    codes = codes_of(conversation_ids)
    present = values.is_valid().to_numpy(zero_copy_only=False)
    valid = np.flatnonzero(present)
    # The row of each conversation's first value, or -1 where it has none.
    with_value, first = np.unique(codes[valid], return_index=True)
    source = np.full(int(codes.max()) + 1, -1, dtype=np.int64)
    source[with_value] = valid[first]
    rows = np.where(present, np.arange(len(codes)), source[codes])
    return pc.take(values, pa.array(rows, mask=rows < 0))


class MissingValueError(ValueError):
    """A null item in a list, or a required field absent: `.position` says where (row index)."""

    def __init__(self, message: str, position: int, parent: int | None = None):
        super().__init__(message)
        self.position, self.parent = position, parent


def items(lists: pa.Array, what: str) -> pa.Array:
    """The items of a list column; a null item (`[null, {...}]`) is an error, never a row made of nulls."""
    lists = as_array(lists)
    flat = pc.list_flatten(lists)
    if flat.null_count:
        index = int(pc.index(pc.is_null(flat), True).as_py())
        parent = int(pc.list_parent_indices(lists)[index].as_py())
        position = int(positions_in_lists(lists)[index].as_py())
        raise MissingValueError(f"{what} #{position} of entry #{parent} is null", index, parent)
    return flat


def listed(data: bytes, schema: pa.Schema, key: str, what: str) -> pa.Array:
    """The records of the top-level list `key` of one JSON answer read with `schema` (a range
    answer's sessions or conversations): a missing or null list, or a null record, is a ValueError."""
    column = as_array(read_json(data, schema).column(key))
    if column.null_count:
        raise ValueError(f"'{key}' is missing or null")
    return items(column, what)


def require(values: pa.Array, what: str) -> pa.Array:
    """`values`, which the vendor's document makes required: a missing one is an error naming its row."""
    values = as_array(values)
    if values.null_count:
        index = int(pc.index(pc.is_null(values), True).as_py())
        raise MissingValueError(f"{what} is missing (entry #{index})", index)
    return values


def utc_times(values: pa.Array, what: str) -> pa.Array:
    """ISO 8601 times with a zone (`2025-10-03T10:00:00.000Z`) to UTC; an impossible or unreadable one is
    an error naming it (Arrow checks the calendar: `2025-09-31` does not become 1 October)."""
    values = as_array(values)
    try:
        return pc.cast(values, pa.timestamp("us", tz="UTC"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        for index, value in enumerate(values.to_pylist()):
            try:
                pc.cast(pa.array([value]), pa.timestamp("us", tz="UTC"))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise MissingValueError(
                    f"{what} {value!r} is not an ISO 8601 time with a zone", index
                ) from None
        raise
