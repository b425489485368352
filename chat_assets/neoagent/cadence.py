"""Neoagent's cadence: yesterday, once a day at 03:00 local time (its two UTC dates in one call)."""

import dagster as dg

from chat_assets.cadence import yesterday_schedule


def schedules(tz: str) -> list[dg.ScheduleDefinition]:
    return [
        yesterday_schedule("neoagent", "0 3 * * *", tz, "Yesterday's Neoagent sessions, at 03:00 local time.")
    ]
