"""Neoagent's cadence: yesterday, once a day at 03:00 local time (its two UTC dates in one call)."""

from datetime import timedelta

import dagster as dg

from chat_assets.cadence import yesterday_schedule


def schedules(tz: str) -> list[dg.ScheduleDefinition]:
    return [
        yesterday_schedule("neoagent", "0 3 * * *", tz, "Yesterday's Neoagent sessions, at 03:00 local time.")
    ]


def freshness(tz: str) -> dg.FreshnessPolicy:
    """Yesterday in the warehouse by 05:00 local time (the 03:00 run, and its retries)."""
    return dg.FreshnessPolicy.cron(
        deadline_cron="0 5 * * *", lower_bound_delta=timedelta(hours=2), timezone=tz
    )
