"""Strict, vectorized reading of local date and time text, written once for every vendor.

Vendors that export spreadsheets (Multichat's CSV) write dates the way a Spanish-speaking
office does: `dd/mm/yyyy` or `yyyy-mm-dd`, with or without seconds, 24-hour or 12-hour with
`a. m.` / `p. m.`, in one `fecha_hora` column or in two. The format is chosen per file from the
values, and every value is checked part by part: Arrow's `strptime` rolls `31/02/2025` over to
3 March, which would store a message on a day it was never sent, so dates are built here from
their parts with the calendar's own limits, and an impossible value is an error naming it.

Where two formats read every value and disagree (`03/04/2025`: 3 April or 4 March?), the day the
report was asked for decides; where it cannot, the reader says so instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chat_assets import canonical

#: A report for one day holds messages of that day (and the edges of conversations that cross midnight).
MAX_DAYS_FROM_EXPECTED = 2


class DateTimeError(ValueError):
    """Values that no supported format reads, that name impossible dates, or that stay ambiguous."""


@dataclass(frozen=True)
class _DateFormat:
    name: str
    pattern: str  # named groups y, m, d


_Y4, _MD = r"(?P<y>\d{4})", r"\d{1,2}"
DATE_FORMATS: tuple[_DateFormat, ...] = (
    _DateFormat("yyyy-mm-dd", rf"{_Y4}-(?P<m>{_MD})-(?P<d>{_MD})"),
    _DateFormat("yyyy/mm/dd", rf"{_Y4}/(?P<m>{_MD})/(?P<d>{_MD})"),
    _DateFormat("dd/mm/yyyy", rf"(?P<d>{_MD})/(?P<m>{_MD})/{_Y4}"),
    _DateFormat("mm/dd/yyyy", rf"(?P<m>{_MD})/(?P<d>{_MD})/{_Y4}"),
    _DateFormat("dd-mm-yyyy", rf"(?P<d>{_MD})-(?P<m>{_MD})-{_Y4}"),
    _DateFormat("mm-dd-yyyy", rf"(?P<m>{_MD})-(?P<d>{_MD})-{_Y4}"),
    _DateFormat("dd.mm.yyyy", rf"(?P<d>{_MD})\.(?P<m>{_MD})\.{_Y4}"),
    _DateFormat("dd/mm/yy", rf"(?P<d>{_MD})/(?P<m>{_MD})/(?P<y>\d{{2}})"),
)
# 24-hour or 12-hour (after normalization the suffix is ` AM` / ` PM`), seconds and fractions optional.
TIME_PATTERN = r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,6}))?)?(?: (?P<p>AM|PM))?"
_MIDNIGHT_SUFFIX = r"[ T]0{1,2}:00(:00(\.0+)?)?$"
#: How every value of DATE_FORMATS and TIME_PATTERN begins: three numbers with date separators, or
#: hours and minutes. A column that does not (words, ids, phone numbers) is no date or time, told
#: by one pass instead of a pass per format and kind.
LEADING_SHAPE = r"^(\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2}:\d{2})"
_GROUP = re.compile(r"\(\?P<(\w+)>")


#: What `_normalize_spacing` would change: an odd space, two spaces, space at an end, an a.m./p.m.
#: (`utf8_trim_whitespace` trims Unicode White_Space: RE2's \s, the separators \pZ, VT and NEL).
_SPACE = r"[\s\pZ\x0b\x85]"
_ODD_SPACE = "[\u00a0\u202f\u2007\t]"
_IRREGULAR = rf"{_ODD_SPACE}| {{2}}|^{_SPACE}|{_SPACE}$|[AP]\.?\s*M\.?$"


def normalize_text(values: pa.Array) -> pa.Array:
    """Upper case, ordinary spaces, one space, and `a. m.` / `p.m.` / `am` written as ` AM` / ` PM`."""
    values = pc.utf8_upper(canonical.as_array(values))
    if not pc.any(pc.match_substring_regex(values, _IRREGULAR)).as_py():
        return values  # one pass instead of four over the usual machine-written column
    return _normalize_spacing(values)


def _normalize_spacing(values: pa.Array) -> pa.Array:
    values = pc.replace_substring_regex(values, _ODD_SPACE, " ")
    values = pc.utf8_trim_whitespace(pc.replace_substring_regex(values, " {2,}", " "))
    return pc.replace_substring_regex(values, r"\s*([AP])\.?\s*M\.?$", r" \1M")


def _present(values: pa.Array) -> np.ndarray:
    """Rows holding a value (not null, not blank)."""
    return pc.fill_null(pc.not_equal(values, ""), False).to_numpy(zero_copy_only=False)


def _ints(field: pa.Array, present: np.ndarray, default: int = 0) -> np.ndarray:
    text = pc.fill_null(pc.if_else(pc.equal(field, ""), pa.scalar(None, pa.string()), field), str(default))
    out = pc.cast(text, pa.int64()).to_numpy(zero_copy_only=False)
    return np.where(present, out, default)


def days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm, vectorized)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = (m + 9) % 12
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _days_in_month(y: np.ndarray, m: np.ndarray) -> np.ndarray:
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    lengths = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    return lengths[np.clip(m, 1, 12) - 1] + ((m == 2) & leap)


@dataclass
class _Reading:
    name: str
    micros: np.ndarray  # since epoch, naive local
    bad: list[str]  # values of the right shape that name impossible dates or times


#: Values looked at first: a format that misses one of them cannot read the column (`_shaped`).
SAMPLE_SIZE = 512


def _regex(fmt: _DateFormat | None, with_time: bool) -> str:
    pattern = TIME_PATTERN if fmt is None else fmt.pattern + (r"[ T]" + TIME_PATTERN if with_time else "")
    return f"^{pattern}$"


def _shaped(
    values: pa.Array, present: np.ndarray, formats: tuple[_DateFormat, ...], with_time: bool
) -> list[_DateFormat]:
    """The formats whose shape every value of a sample spread over the column has.

    Only a cheaper way to the same answer: `_read` rejects a format unless every present value
    matches it, so one that misses a sampled value is rejected without reading the whole column
    (of eight formats, a report usually fits one or two: this was half of Multichat's normalization,
    and three quarters of it on small reports, where the sample is the whole column).
    """
    rows = np.flatnonzero(present)
    if len(rows) > SAMPLE_SIZE:
        rows = rows[np.linspace(0, len(rows) - 1, SAMPLE_SIZE).astype(np.int64)]
    # A small column is its own sample: one regex pass per format instead of reading it (the
    # demo's reports of some 100 rows spent most of their normalization trying formats).
    if not len(rows):
        return list(formats)  # nothing to read: every format reads it (as nulls)
    sample = values.take(pa.array(rows))
    return [f for f in formats if pc.all(pc.match_substring_regex(sample, _regex(f, with_time))).as_py()]


#: Whether `_read` may try Arrow's strptime first on zero-padded columns (the tests turn it off to
#: compare with the part-by-part reading).
FIXED_WIDTH = True


def _fixed_width(fmt: _DateFormat, with_time: bool) -> tuple[str, str, int, int | None] | None:
    """`fmt` written with every part zero-padded: (strptime format, its regex, where the day's two
    digits are, where the seconds' are), or None for a format whose years strptime reads otherwise."""
    if "yyyy" not in fmt.name:
        return None  # two-digit years: strptime puts 69-99 in the 1900s, this reader in the 2000s
    text = fmt.name + (" HH:MM:SS" if with_time else "")
    strp = text.replace("yyyy", "%Y").replace("mm", "%m").replace("dd", "%d")
    strp = strp.replace("HH", "%H").replace("MM", "%M").replace("SS", "%S")
    regex = "^" + "".join(r"\d" if c.isalpha() else re.escape(c) for c in text) + "$"
    return strp, regex, text.index("dd"), text.index("SS") if with_time else None


def _read_fixed(
    values: pa.Array, present: np.ndarray, fmt: _DateFormat, with_time: bool, extracted: dict[str, pa.Array]
) -> _Reading | None:
    """The column read by Arrow's strptime when every value is `fmt` zero-padded; None otherwise.

    A quarter of the cost of reading part by part. strptime alone is not strict enough (it rolls
    31/02 over to March, accepts second 60), so the day and second it read are checked against the
    digits written; any value it cannot vouch for sends the column to the part-by-part reading,
    which names the impossible values.
    """
    twin = _fixed_width(fmt, with_time)
    if twin is None:
        return None
    strp, regex, day_at, second_at = twin
    if regex not in extracted:  # dd/mm/yyyy and mm/dd/yyyy share it
        extracted[regex] = pc.fill_null(pc.match_substring_regex(values, regex), False)
    shaped = extracted[regex]
    if not np.all(shaped.to_numpy(zero_copy_only=False)[present]):
        return None
    stamps = pc.strptime(
        pc.if_else(shaped, values, pa.scalar(None, pa.string())), strp, "us", error_is_null=True
    )
    if stamps.null_count != len(values) - int(present.sum()):
        return None

    def digits(at: int) -> np.ndarray:
        written = pc.if_else(shaped, pc.utf8_slice_codeunits(values, at, at + 2), "0")
        return pc.cast(written, pa.int64()).to_numpy(zero_copy_only=False)

    same = digits(day_at) == pc.fill_null(pc.day(stamps), 0).to_numpy(zero_copy_only=False)
    if second_at is not None:
        same &= digits(second_at) == pc.fill_null(pc.second(stamps), 0).to_numpy(zero_copy_only=False)
    if not np.all(same[present]):
        return None
    micros = pc.fill_null(pc.cast(stamps, pa.int64()), 0).to_numpy(zero_copy_only=False)
    return _Reading(fmt.name + (" time" if with_time else ""), micros, [])


def _read(
    values: pa.Array,
    present: np.ndarray,
    fmt: _DateFormat | None,
    with_time: bool,
    extracted: dict[str, pa.Array] | None = None,
) -> _Reading | None:
    """The column read as `fmt`, or None if a value lacks its shape.

    `extracted` shares one regex pass between formats of the same shape with their parts in
    another order (dd/mm/yyyy and mm/dd/yyyy, both candidates for most days of a month).
    """
    extracted = {} if extracted is None else extracted
    if (
        fmt is not None
        and FIXED_WIDTH
        and (fast := _read_fixed(values, present, fmt, with_time, extracted)) is not None
    ):
        return fast
    regex = _regex(fmt, with_time)
    names = _GROUP.findall(regex)
    numbered = iter(range(len(names)))
    shape = _GROUP.sub(lambda _: f"(?P<g{next(numbered)}>", regex)
    if shape not in extracted:
        extracted[shape] = pc.extract_regex(values, shape)
    parts = extracted[shape]

    def part(name: str) -> pa.Array:
        return (
            pc.struct_field(parts, names.index(name)) if name in names else pa.nulls(len(values), pa.string())
        )

    matched = pc.is_valid(parts).to_numpy(zero_copy_only=False)
    if not np.all(matched[present]):
        return None
    ok = np.ones(len(values), dtype=bool)
    micros = np.zeros(len(values), dtype=np.int64)
    if fmt:
        y, m, d = (_ints(part(k), present, 1) for k in ("y", "m", "d"))
        if fmt.name.endswith("/yy"):
            y = y + 2000
        ok &= (m >= 1) & (m <= 12) & (d >= 1) & (d <= _days_in_month(y, m))
        micros += days_from_civil(y, m, d) * 86_400_000_000
    if with_time:
        hh, mm, ss = (_ints(part(k), present) for k in ("H", "M", "S"))
        frac_text = pc.utf8_rpad(pc.fill_null(part("f"), ""), 6, "0")
        frac = np.where(present, pc.cast(frac_text, pa.int64()).to_numpy(zero_copy_only=False), 0)
        period = pc.fill_null(part("p"), "").to_numpy(zero_copy_only=False)
        twelve = period != ""
        ok &= np.where(twelve, (hh >= 0) & (hh <= 12), hh <= 23) & (mm <= 59) & (ss <= 59)
        hh = np.where(twelve, hh % 12 + np.where(period == "PM", 12, 0), hh)
        micros += ((hh * 60 + mm) * 60 + ss) * 1_000_000 + frac
    bad_rows = np.flatnonzero(present & ~ok)
    bad = [values[int(i)].as_py() for i in bad_rows[:3]]
    name = " ".join(p for p in ((fmt.name if fmt else ""), ("time" if with_time else "")) if p)
    return _Reading(name, micros, bad)


def _readings(
    values: pa.Array, present: np.ndarray, formats: tuple[_DateFormat, ...], with_time: bool
) -> Iterator[_Reading]:
    """The readings of the column by each of `formats` that reads every value's shape, in order."""
    extracted: dict[str, pa.Array] = {}
    for fmt in _shaped(values, present, formats, with_time):
        reading = _read(values, present, fmt, with_time, extracted)
        if reading is not None:
            yield reading


def _choose(
    readings: list[_Reading], present: np.ndarray, what: str, expect: date | None, sample: list[str]
) -> _Reading:
    good = [r for r in readings if not r.bad]
    if not good:
        shaped = [r for r in readings if r.bad]
        if shaped:
            raise DateTimeError(
                f"{what} names an impossible date or time, e.g. {shaped[0].bad} ({shaped[0].name})"
            )
        raise DateTimeError(f"{what} is in no known date/time format, e.g. {sample}")
    distinct: list[_Reading] = []
    for r in good:
        if not any(np.array_equal(r.micros[present], o.micros[present]) for o in distinct):
            distinct.append(r)
    if len(distinct) > 1 and expect is not None:
        expected_day = (np.datetime64(expect, "D") - np.datetime64("1970-01-01", "D")).astype(np.int64)
        near = [
            r for r in distinct if np.all(np.abs(r.micros[present] // 86_400_000_000 - expected_day) <= 1)
        ]
        distinct = near or distinct
    if len(distinct) > 1:
        names = ", ".join(r.name for r in distinct)
        raise DateTimeError(
            f"{what} reads as more than one date format ({names}), e.g. {sample}; "
            "the values cannot tell which"
        )
    return distinct[0]


def _strip_midnight(values: pa.Array) -> pa.Array:
    """A date column exported by a spreadsheet may carry `00:00:00`; the date is what it means."""
    return pc.replace_substring_regex(values, _MIDNIGHT_SUFFIX, "")


def parse_local(
    values: pa.Array,
    kind: str,
    *,
    what: str,
    expect: date | None = None,
    formats: tuple[str, ...] | None = None,
) -> pa.Array:
    """Read `values` as `kind` (`datetime`, `date` or `time`) into naive local microseconds.

    Returns timestamp[us] (no zone) for `datetime` and `date`, duration[us] for `time`; null where
    a cell is empty. Raises DateTimeError naming `what` and examples when the column cannot be read.
    """
    text = normalize_text(values)
    if kind == "date":
        text = _strip_midnight(text)
    present = _present(text)
    sample = [v for v in pc.filter(text, pa.array(present)).slice(0, 3).to_pylist()] if present.any() else []
    if kind == "time":
        reading = _read(text, present, None, True)
        if reading is None:
            raise DateTimeError(
                f"{what} is not a time of day (HH:MM[:SS], 24-hour or a. m./p. m.), e.g. {sample}"
            )
        chosen = _choose([reading], present, what, None, sample)
        return pa.array(np.where(present, chosen.micros, 0), pa.duration("us"), mask=~present)
    candidates = tuple(f for f in DATE_FORMATS if formats is None or f.name in formats)
    readings = list(_readings(text, present, candidates, kind == "datetime"))
    chosen = _choose(readings, present, what, expect, sample)
    if expect is not None:
        expected_day = (np.datetime64(expect, "D") - np.datetime64("1970-01-01", "D")).astype(np.int64)
        off = present & (np.abs(chosen.micros // 86_400_000_000 - expected_day) > MAX_DAYS_FROM_EXPECTED)
        if off.any():
            raise DateTimeError(
                f"{what} reads as {chosen.name} but names a day more than {MAX_DAYS_FROM_EXPECTED} "
                f"days from {expect}, e.g. {text[int(np.flatnonzero(off)[0])].as_py()!r}: not that "
                "day's data (or an impossible date read another way)"
            )
    return pa.array(np.where(present, chosen.micros, 0), pa.timestamp("us"), mask=~present)


def kind_of(values: pa.Array, kinds: tuple[str, ...] = ("datetime", "date", "time")) -> str | None:
    """The first of `kinds` whose shape every non-empty value has (how columns are recognized by
    content), or None.

    The text is normalized and its leading shape checked once for all kinds (`LEADING_SHAPE`): a
    report's columns are mostly words and ids, and trying each kind and format on each of them was
    most of a small report's reading.
    """
    text = normalize_text(values)
    present = _present(text)
    if not present.any():
        return None
    if not pc.all(pc.match_substring_regex(pc.filter(text, pa.array(present)), LEADING_SHAPE)).as_py():
        return None
    for kind in kinds:
        if kind == "time":
            fitting = _read(text, present, None, True) is not None
        else:
            shaped = _strip_midnight(text) if kind == "date" else text
            shaped_present = _present(shaped) if kind == "date" else present
            fitting = shaped_present.any() and (
                next(_readings(shaped, shaped_present, DATE_FORMATS, kind == "datetime"), None) is not None
            )
        if fitting:
            return kind
    return None


def combine(day: pa.Array, time_of_day: pa.Array) -> pa.Array:
    """A date column plus a time column: one naive timestamp (null where either is missing)."""
    return pc.add(day, time_of_day)
