"""Multichat's cadence: reports exist up to yesterday, so yesterday is fetched early each morning.

The schedule ticks at 06:00, 08:00, 10:00 and 12:00 local time; the first tick whose run succeeds
makes the later ones skip. A report that is not ready yet fails that run plainly ("not available
yet") and the next tick tries again.
"""

from chat_assets.cadence import vendor_job, yesterday_schedule

JOB = vendor_job("multichat")
SCHEDULE = yesterday_schedule(
    "multichat", JOB, "0 6-12/2 * * *",
    "Yesterday's Multichat reports, from 06:00 local time; later ticks retry until it is in the warehouse.",
)
JOBS = [JOB]
SCHEDULES = [SCHEDULE]
SENSORS: list = []
