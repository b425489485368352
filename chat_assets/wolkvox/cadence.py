"""Wolkvox's cadence: today refreshed every 5 minutes, yesterday finalized after midnight.

- `wolkvox_intraday` ticks every 5 minutes and refreshes today's partition (the vendor suggests one
  consumption every 5 minutes), so new messages reach the warehouse within about 6 minutes and the
  derived tables follow through automation. It backs off as the token's daily quota is spent:
  past half of the intraday budget it runs every 15 minutes; at the budget it pauses until the
  vendor's next day. Budget = WOLKVOX_DAILY_QUOTA (1000) x WOLKVOX_INTRADAY_SHARE (0.8); the rest is
  kept for the finalize run and backfills.
- `wolkvox_daily` at 00:30 local time fetches yesterday again now that it is over (its manifest
  from the intraday refreshes says the day was still open), so late messages are not missed.

Every run is in the `wolkvox` pool (limit 1): one caller per token across all runs. The schedule
receives the `wolkvox` resource, which holds the quota settings and reads the shared use counter.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from chat_assets import partitions
from chat_assets.cadence import job_name, yesterday_schedule
from chat_assets.wolkvox.client import VENDOR, WolkvoxResource


def intraday_decision(uses: int, minute: int, quota: float, share: float) -> str | None:
    """None to run now, else why this tick is skipped."""
    budget = quota * share
    if uses >= budget:
        return (
            f"token quota nearly spent: {uses} of {quota:g} uses today (intraday budget {budget:g}); "
            "intraday refresh paused until tomorrow, the finalize run still runs"
        )
    if uses >= budget / 2 and minute % 15:
        return (
            f"{uses} of {quota:g} uses today: past half of the intraday budget, refreshing every 15 minutes"
        )
    return None


def schedules(tz: str) -> list[dg.ScheduleDefinition]:
    @dg.schedule(
        name="wolkvox_intraday",
        cron_schedule="*/5 * * * *",
        job_name=job_name(VENDOR),
        execution_timezone=tz,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="Today's Wolkvox conversations every 5 minutes, backing off as the daily token quota "
        "is spent.",
    )
    def wolkvox_intraday(
        context: dg.ScheduleEvaluationContext, wolkvox: WolkvoxResource
    ) -> dg.RunRequest | dg.SkipReason:
        now = (context.scheduled_execution_time or datetime.now(ZoneInfo(tz))).astimezone(ZoneInfo(tz))
        reason = intraday_decision(
            wolkvox.uses_on(now), now.minute, wolkvox.daily_quota, wolkvox.intraday_share
        )
        if reason:
            return dg.SkipReason(reason)
        return dg.RunRequest(
            partition_key=partitions.today(tz, now), tags={"chat_assets/cadence": "intraday"}
        )

    finalize = yesterday_schedule(
        VENDOR,
        "30 0 * * *",
        tz,
        "Yesterday's Wolkvox conversations fetched again once the day is over (00:30).",
        skip_if_done=False,
    )
    return [wolkvox_intraday, finalize]


def freshness(tz: str) -> dg.FreshnessPolicy:
    """Today within 15 minutes while the intraday schedule runs (it ticks every 5, every 15 when
    the quota is half spent). With the schedule stopped, this fails by design: today is not fresh."""
    return dg.FreshnessPolicy.time_window(
        fail_window=timedelta(minutes=15), warn_window=timedelta(minutes=10)
    )
