"""Multichat's cadence: reports exist up to yesterday, so yesterday is fetched early each morning.

The schedule ticks at 06:00, 08:00, 10:00 and 12:00 local time; the first tick whose run succeeds
makes the later ones skip. A report that is not ready yet fails that run plainly ("not available
yet") and the next tick tries again.
"""

from datetime import timedelta

import dagster as dg

from chat_assets.cadence import yesterday_schedule


def schedules(tz: str) -> list[dg.ScheduleDefinition]:
    return [
        yesterday_schedule(
            "multichat",
            "0 6-12/2 * * *",
            tz,
            "Yesterday's Multichat reports, from 06:00 local time; later ticks retry until it is in the warehouse.",
        )
    ]


def freshness(tz: str) -> dg.FreshnessPolicy:
    """Yesterday in the warehouse by 13:00 local time: the 06:00 to 12:00 ticks had their chances."""
    return dg.FreshnessPolicy.cron(
        deadline_cron="0 13 * * *", lower_bound_delta=timedelta(hours=7), timezone=tz
    )
