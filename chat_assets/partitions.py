"""Daily partitions: one calendar day in CHAT_ASSETS_TIMEZONE, from 2025-01-01.

`daily` ends with yesterday (a complete day). `daily_with_today` also holds today's partition
for vendors that allow intraday refreshes (Wolkvox); other vendors never see an incomplete day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from chat_assets.config import core_settings

START_DATE = "2025-01-01"


def timezone() -> str:
    return core_settings().timezone


daily = dg.DailyPartitionsDefinition(start_date=START_DATE, timezone=timezone())
daily_with_today = dg.DailyPartitionsDefinition(start_date=START_DATE, timezone=timezone(), end_offset=1)


def day_bounds(day: str, tz: str) -> tuple[datetime, datetime]:
    """[start, end) of a partition day as aware datetimes in `tz` (DST-safe)."""
    d = date.fromisoformat(day)
    zone = ZoneInfo(tz)
    start = datetime.combine(d, time(0), tzinfo=zone)
    end = datetime.combine(d + timedelta(days=1), time(0), tzinfo=zone)
    return start, end


def local_day(moment: datetime, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).date().isoformat()
