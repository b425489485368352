"""The strict date/time reader's shortcuts give the answers of the full reading (datetimes.py).

Multichat's normalizer spends most of its time reading times, so the reader skips the spacing
rewrites when one pass finds nothing for them, looks at a sample of a column before reading it
whole with a format, and reads formats of one shape (dd/mm and mm/dd) with one regex pass. These
tests hold each shortcut to the plain reading, on columns long enough for the sample to leave
values out.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chat_assets import datetimes

DAY = date(2025, 10, 3)
FORMATS = ["%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M", "%m/%d/%Y %I:%M %p", "%d-%m-%Y %H:%M:%S", "%d/%m/%y %H:%M"]
ODD = [
    "31/02/2025 10:00:00",
    "2025-10-03T25:61",
    "03/10/2025 10:00:00 x",
    "",
    "10/03/2025 13:00 PM",
    "3.10.2025 9:00",
]


ODD_DATES = ["31/02/2025", "2025-02-31", "00/10/2025", "02-30-2025", "31.04.2025", "2024-02-29", "3/10/2025"]


def outcome(values: list[str], expect: date | None, shortcuts: bool, kind: str = "datetime") -> object:
    original = datetimes.SAMPLE_SIZE, datetimes.FIXED_WIDTH
    if not shortcuts:
        datetimes.SAMPLE_SIZE, datetimes.FIXED_WIDTH = 10**9, False
    try:
        return datetimes.parse_local(pa.array(values), kind, what="col", expect=expect).to_pylist()
    except datetimes.DateTimeError as error:
        return ("error", str(error))
    finally:
        datetimes.SAMPLE_SIZE, datetimes.FIXED_WIDTH = original


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fmt=st.sampled_from(FORMATS),
    seconds=st.lists(st.integers(-86_400, 2 * 86_400 - 1), min_size=600, max_size=1500),
    odd=st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(ODD + FORMATS)), max_size=3),
    expect=st.sampled_from([DAY, date(2025, 10, 12), None]),
)
def test_the_sample_only_spares_work(
    fmt: str, seconds: list[int], odd: list[tuple[int, str]], expect: date | None
) -> None:
    """Whatever the column (one format, a few values in another shape or impossible), same answer."""
    start = datetime.combine(expect or DAY, datetime.min.time())
    values = [(start + timedelta(seconds=s)).strftime(fmt) for s in seconds]
    for where, what in odd:
        at = where % len(values)
        values[at] = (start + timedelta(seconds=seconds[at])).strftime(what) if "%" in what else what
    assert outcome(values, expect, True) == outcome(values, expect, False)


def test_one_late_value_of_another_shape_is_still_seen() -> None:
    """A value the sample skips, in no format the rest share, still makes the column unreadable."""
    values = ["03/10/2025 10:00:00"] * 5000
    values[4321] = "2025-10-03 10:00:00"
    with pytest.raises(datetimes.DateTimeError, match="no known date/time format"):
        datetimes.parse_local(pa.array(values), "datetime", what="col", expect=DAY)


def test_day_and_month_orders_read_with_one_pass_still_disagree() -> None:
    """dd/mm and mm/dd share their regex pass, yet each reads its own order."""
    values = [f"{d:02d}/{m:02d}/2025 08:00" for d in range(1, 13) for m in range(1, 13)] * 10
    with pytest.raises(datetimes.DateTimeError, match="more than one date format"):
        datetimes.parse_local(pa.array(values), "datetime", what="col")
    late_day = [*(["03/10/2025 08:00"] * 900), "13/10/2025 08:00"]  # only dd/mm reads 13/10
    read = datetimes.parse_local(pa.array(late_day), "datetime", what="col")
    assert read[-1].as_py() == datetime(2025, 10, 13, 8, 0)
    assert read[0].as_py() == datetime(2025, 10, 3, 8, 0)
    month_first = ["10/03/2025 08:00"] * 900
    assert datetimes.parse_local(pa.array(month_first), "datetime", what="col", expect=DAY)[
        0
    ].as_py() == datetime(2025, 10, 3, 8, 0)


SPACING = [
    *"0123456789/:-.,TaApPmM ",
    "\u00a0",
    "\u202f",
    "\u2007",
    "\t",
    "\x0b",
    "\x85",
    "\u2003",
    "\u3000",
    "\n",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.none() | st.text(alphabet=st.sampled_from(SPACING), max_size=24), min_size=1, max_size=40))
def test_spacing_is_skipped_only_where_it_would_change_nothing(values: list[str | None]) -> None:
    column = pa.array(values, pa.string())
    assert datetimes.normalize_text(column).equals(datetimes._normalize_spacing(pc.utf8_upper(column)))


@settings(max_examples=60, deadline=None)
@given(
    fmt=st.sampled_from(
        ["%d/%m/%Y", "%Y-%m-%d", "%m-%d-%Y", "%d.%m.%Y", "%d/%m/%Y %H:%M:%S", "%Y/%m/%d %H:%M:%S"]
    ),
    days=st.lists(st.integers(-800, 800), min_size=1, max_size=40),
    odd=st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(ODD + ODD_DATES)), max_size=2),
)
def test_strptime_reads_what_the_parts_read(fmt: str, days: list[int], odd: list[tuple[int, str]]) -> None:
    """Arrow's strptime path gives the same instants, and the same errors, as the part-by-part reading."""
    values = [
        (datetime(2025, 10, 3, 7, 5, 9) + timedelta(days=d, seconds=d * 97)).strftime(fmt) for d in days
    ]
    for where, what in odd:
        values[where % len(values)] = what
    kind = "datetime" if "%H" in fmt else "date"
    assert outcome(values, None, True, kind) == outcome(values, None, False, kind)


def kind_without_the_shortcut(values: list[str]) -> str | None:
    """What kind_of answered before it looked at the leading shape: each kind tried in turn."""
    original = datetimes.LEADING_SHAPE
    datetimes.LEADING_SHAPE = r"^\d"
    try:
        return datetimes.kind_of(pa.array(values))
    finally:
        datetimes.LEADING_SHAPE = original


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(
        [f.name for f in datetimes.DATE_FORMATS]
        + [f"{f.name} time" for f in datetimes.DATE_FORMATS]
        + ["time"]
    ),
    st.lists(st.datetimes(datetime(2001, 1, 1), datetime(2030, 12, 31)), min_size=1, max_size=20),
    st.lists(
        st.sampled_from(["573102645843", "12", "1.5", "3-4", "10:5", "2025-10", "Bogotá", "07/10"]),
        max_size=3,
    ),
)
def test_the_leading_shape_rejects_only_what_no_kind_reads(
    fmt: str, moments: list[datetime], others: list[str]
) -> None:
    """Columns in every format (alone, or spoiled by ids, numbers and partial dates) are recognized
    as the kinds they were before the one-pass check."""
    date_part, _, time_part = fmt.partition(" ")
    strf = {"yyyy": "%Y", "yy": "%y", "mm": "%m", "dd": "%d"}
    for token in sorted(strf, key=len, reverse=True):
        date_part = date_part.replace(token, strf[token])
    pattern = "%H:%M:%S" if date_part == "time" else date_part + (" %H:%M" if time_part else "")
    values = [m.strftime(pattern) for m in moments] + others
    assert datetimes.kind_of(pa.array(values)) == kind_without_the_shortcut(values)
    if not others:
        assert datetimes.kind_of(pa.array(values)) == (
            "time" if fmt == "time" else "datetime" if time_part else "date"
        )
