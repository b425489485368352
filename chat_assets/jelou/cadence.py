"""Jelou's cadence: yesterday's history of every bot, once a day at 02:00 local time."""

from chat_assets.cadence import vendor_job, yesterday_schedule

JOB = vendor_job("jelou")
JOBS = [JOB]
SCHEDULES = [yesterday_schedule("jelou", JOB, "0 2 * * *", "Yesterday's Jelou history, at 02:00 local time.")]
SENSORS: list = []
