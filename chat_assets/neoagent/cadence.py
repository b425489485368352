"""Neoagent's cadence: yesterday, once a day at 03:00 local time (its two UTC dates in one call)."""

from chat_assets.cadence import vendor_job, yesterday_schedule

JOB = vendor_job("neoagent")
JOBS = [JOB]
SCHEDULES = [yesterday_schedule("neoagent", JOB, "0 3 * * *", "Yesterday's Neoagent sessions, at 03:00 local time.")]
SENSORS: list = []
