"""Daily partitions: one calendar day in CHAT_ASSETS_TIMEZONE, from 2025-01-01, through today.

Built from the settings when the code location loads (`daily(settings.timezone)`), never from
the environment at import, so a test or a second code location can use another zone.

One partition set for every asset (the CLI's `--select '*' --partition-range` needs that), and it
holds today's partition so Wolkvox can refresh the day as it happens and the derived tables follow.
Vendors that only publish or fetch complete days skip a day that is not over yet with a note
(`is_closed`, `not_over_yet`; a backfill may end today, which is not an error); a fetch records whether its day was already over, so a day
fetched while it was still running is fetched again once it has closed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import dagster as dg

START_DATE = "2025-01-01"


@cache
def daily(tz: str) -> dg.DailyPartitionsDefinition:
    """The one partition set, in the project's zone (settings.StoreResource says why it is fixed at load)."""
    return dg.DailyPartitionsDefinition(start_date=START_DATE, timezone=tz, end_offset=1)


def day_bounds(day: str, tz: str) -> tuple[datetime, datetime]:
    """[start, end) of a partition day as aware datetimes in `tz` (DST-safe)."""
    d = date.fromisoformat(day)
    zone = ZoneInfo(tz)
    start = datetime.combine(d, time(0), tzinfo=zone)
    end = datetime.combine(d + timedelta(days=1), time(0), tzinfo=zone)
    return start, end


def shifted(moment: datetime, delta: timedelta) -> datetime:
    """`moment + delta` on the time line, in `moment`'s zone.

    Not `moment + delta`: within one zone Python adds wall time, an hour off across a clock
    change (the last millisecond of a 25-hour day came out an hour early, and a query that ended
    there missed the day's last hour).
    """
    return (moment.astimezone(UTC) + delta).astimezone(moment.tzinfo)


def local_day(moment: datetime, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).date().isoformat()


def today(tz: str, now: datetime | None = None) -> str:
    return (now or datetime.now(ZoneInfo(tz))).astimezone(ZoneInfo(tz)).date().isoformat()


def yesterday(tz: str, now: datetime | None = None) -> str:
    return day_before(today(tz, now))


def day_before(day: str) -> str:
    """The partition before `day` (read by normalizers whose conversations cross midnight)."""
    return (date.fromisoformat(day) - timedelta(days=1)).isoformat()


def not_over_yet(tz: str, then: str = "the daily schedule fetches it once it has closed") -> str:
    """The note a day is skipped with while it is still running (and who takes it up later)."""
    return f"the day is not over yet in {tz}; {then}"


def is_closed(day: str, tz: str, now: datetime | None = None) -> bool:
    """Whether the local day is over (its data can be complete)."""
    _start, end = day_bounds(day, tz)
    return (now or datetime.now(ZoneInfo(tz))) >= end
