"""Jelou's cadence: yesterday's history of every bot, once a day at 02:00 local time."""

from datetime import timedelta

import dagster as dg

from chat_assets.cadence import yesterday_schedule


def schedules(tz: str) -> list[dg.ScheduleDefinition]:
    return [yesterday_schedule("jelou", "0 2 * * *", tz, "Yesterday's Jelou history, at 02:00 local time.")]


def freshness(tz: str) -> dg.FreshnessPolicy:
    """Yesterday in the warehouse by 04:00 local time (the 02:00 run, and its retries)."""
    return dg.FreshnessPolicy.cron(
        deadline_cron="0 4 * * *", lower_bound_delta=timedelta(hours=2), timezone=tz
    )
