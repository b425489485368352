"""What runs by itself, written once: daily schedules for yesterday, retry policy, automation.

Each vendor's `cadence.py` says when (its hours, its intraday rules, its sensor) and builds its
schedules for the vendor's job in the project's zone; the mechanisms live here. Schedules and sensors ship STOPPED: switching one on spends a vendor's quota, which a
person decides (the UI's Automation page, `dagster schedule start`, or `make dev`, which starts
them against the simulator). The automation sensor for the derived tables ships RUNNING: it
only reads the warehouse.
"""

from __future__ import annotations

import dagster as dg

from chat_assets import partitions

#: Transient trouble that survived the HTTP retries inside a run gets two more tries, spaced out.
#: Permanent failures (bad credentials, unknown account, not ready yet) raise Failure(allow_retries=False).
RAW_RETRY_POLICY = dg.RetryPolicy(
    max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)

#: Every asset takes a backfill's whole range in one run. Forced, and the cheaper choice: Dagster's
#: CLI accepts `--partition-range` only for single-run assets; a run start-up costs seconds of
#: CPU (a year in 7-day chunks would be 53 start-ups per vendor); Neoagent's limit counts
#: requests, and one range request covers up to 31 days; the derived tables compute up to a
#: month of days per DuckDB query (analytics/assets.py), half the cost of a query a day. What a
#: single run used to cost, one bad day sinking the range, is gone: days end one by one
#: (day_outcomes.py).
RANGE_POLICY = dg.BackfillPolicy.single_run()

#: Derived tables follow any updated input partition (a vendor that has not delivered a day yet
#: does not hold the others back), once nothing upstream is still running.
FOLLOW_INPUTS = (
    dg.AutomationCondition.any_deps_updated().since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("follow updated inputs")


def job_name(vendor: str) -> str:
    return f"{vendor}_job"


def vendor_job(vendor: str) -> dg.UnresolvedAssetJobDefinition:
    """Every asset of the vendor's group; its schedules and sensor target it by name."""
    return dg.define_asset_job(
        job_name(vendor),
        selection=dg.AssetSelection.groups(vendor),
        description=f"{vendor}: fetch raw and normalize.",
    )


def already_materialized(instance: dg.DagsterInstance, key: dg.AssetKey, day: str) -> bool:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key, asset_partitions=[day]), limit=1
    )
    return bool(records.records)


def yesterday_schedule(
    vendor: str,
    cron: str,
    tz: str,
    description: str,
    skip_if_done: bool = True,
) -> dg.ScheduleDefinition:
    """A schedule that materializes yesterday's partition (in `tz`), skipping ticks once it is done."""

    @dg.schedule(
        name=f"{vendor}_daily",
        cron_schedule=cron,
        job_name=job_name(vendor),
        execution_timezone=tz,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=description,
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        day = partitions.yesterday(tz, context.scheduled_execution_time)
        if skip_if_done and already_materialized(context.instance, dg.AssetKey([vendor, "messages"]), day):
            return dg.SkipReason(f"{vendor} {day} is already in the warehouse")
        return dg.RunRequest(partition_key=day, tags={"chat_assets/cadence": "daily"})

    return _schedule


def analytics_automation_sensor(target: dg.AssetSelection) -> dg.AutomationConditionSensorDefinition:
    return dg.AutomationConditionSensorDefinition(
        "analytics_automation",
        target=target,
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=30,
        description="Keeps conversations, engagement and sentiment tables up to date with their inputs.",
    )
