"""Jelou's cadence: yesterday's history of every bot, once a day at 02:00 local time."""

import dagster as dg

from chat_assets.cadence import yesterday_schedule


def schedules(tz: str) -> list[dg.ScheduleDefinition]:
    return [yesterday_schedule("jelou", "0 2 * * *", tz, "Yesterday's Jelou history, at 02:00 local time.")]
