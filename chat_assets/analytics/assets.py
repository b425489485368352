"""Derived assets of one vendor: conversations, engagement_daily (+ agent_daily), sentiment_daily.

Every vendor gets its own copy, fed by that vendor's `messages` only, so a vendor that fails on
a day (fetch, normalization or a blocking check) leaves the other vendors' derived tables of that
day untouched and materialized, in the same run, by construction: Dagster skips only what lies
downstream of a failed step. The tables keep one layout in the warehouse
(`warehouse/<table>/date=<day>/<vendor>.parquet`), so the cross-vendor table is the folder itself,
read as one by DuckDB, Polars or pyarrow. The computation knows nothing about vendors: the
vendor's name only says which file to read and write.
"""

import time
from collections.abc import Iterator, Sequence
from typing import Any

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc

from chat_assets import checks, execution, partitions
from chat_assets.analytics.returning import CustomerWindow
from chat_assets.analytics.tables import RangeTables, connect
from chat_assets.asset_metadata import column_schema
from chat_assets.cadence import FOLLOW_INPUTS, RANGE_POLICY
from chat_assets.checks import check_result
from chat_assets.settings import StoreResource
from chat_assets.storage import DataStore

#: Tag on every derived asset: `--select 'tag:chat_assets/layer=derived'` picks them across vendors.
LAYER_TAG = {"chat_assets/layer": "derived"}


def _tags(table: str) -> dict[str, str]:
    return {**LAYER_TAG, "chat_assets/table": table}


def day_messages(store: DataStore, day: str, provider: str) -> pa.Table | None:
    """That vendor's canonical messages of the day, or None when its partition was never written."""
    return store.read_table("messages", day, provider)


def _summary_md(stats: dict[str, Any]) -> str:
    lines = ["| metric | value |", "|---|---|"]
    for key, value in stats.items():
        lines.append(
            f"| {key} | {'—' if value is None else (round(value, 3) if isinstance(value, float) else value)} |"
        )
    return "\n".join(lines)


def _mean(values: pa.Array) -> float | None:
    value = pc.mean(values).as_py()
    return None if value is None else float(value)


def build_derived_assets(vendor: str, tz: str) -> list[dg.AssetsDefinition]:
    """`<vendor>/conversations`, `<vendor>/engagement_daily` + `<vendor>/agent_daily`, `<vendor>/sentiment_daily`."""
    messages_key = dg.AssetKey([vendor, "messages"])
    conversations_key = dg.AssetKey([vendor, "conversations"])

    @dg.asset(
        key=conversations_key,
        deps=[messages_key],
        group_name=vendor,
        partitions_def=partitions.daily(tz),
        backfill_policy=RANGE_POLICY,
        op_tags=execution.COMPUTE,
        kinds={"parquet"},
        tags=_tags("conversations"),
        automation_condition=FOLLOW_INPUTS,
        metadata={"dagster/column_schema": column_schema("conversations")},
        check_specs=[
            dg.AssetCheckSpec(
                "every_conversation_has_messages",
                asset=conversations_key,
                blocking=True,
                description="Every conversation has at least one message in `messages`.",
            ),
            dg.AssetCheckSpec(
                "message_counts_match",
                asset=conversations_key,
                blocking=True,
                description="The sum of n_messages equals the number of messages of the day.",
            ),
        ],
        description=f"One row per {vendor} conversation, derived from canonical messages only: "
        f"warehouse/conversations/date=<day>/{vendor}.parquet.",
    )
    def conversations(context: dg.AssetExecutionContext, store: StoreResource) -> dg.MaterializeResult:
        data = store.store()
        outcomes: dict[str, list] = {"every_conversation_has_messages": [], "message_counts_match": []}
        written = 0
        con = connect()
        for batch in _batches(data, vendor, context.partition_keys):
            started = time.monotonic()
            with RangeTables(batch, con=con) as tables:
                by_day = tables.conversations()
            # The batch's time shared by its days: what one day of it cost.
            elapsed = round((time.monotonic() - started) / len(batch), 4)
            for day, messages in batch.items():
                table = by_day[day]
                data.write_table("conversations", day, vendor, table)
                written += table.num_rows
                outcomes["every_conversation_has_messages"].append(
                    (day, *checks.conversations_have_messages(table, messages))
                )
                outcomes["message_counts_match"].append((day, *checks.message_counts_match(table, messages)))
                stats = {
                    "messages": messages.num_rows,
                    "conversations": table.num_rows,
                    "containment_rate": _mean(table.column("contained")),
                    "mean_sentiment": _mean(table.column("sentiment")),
                    "negative_share": _mean(pc.equal(table.column("sentiment_label"), "negative")),
                    "complaint_share": _mean(pc.cast(table.column("complaint"), pa.int8())),
                    "median_first_response_s": (
                        pc.approximate_median(table.column("first_response_s")).as_py()
                        if table.num_rows
                        else None
                    ),
                }
                context.add_asset_metadata(
                    {
                        **{k: v for k, v in stats.items() if v is not None},
                        "summary": dg.MetadataValue.md(_summary_md(stats)),
                        "elapsed_s": elapsed,
                    },
                    partition_key=day,
                )
        con.close()
        return dg.MaterializeResult(
            metadata={"days": len(context.partition_keys), "rows_written": written},
            check_results=[
                check_result(dg.AssetCheckSpec(name, asset=conversations_key, blocking=True), outcomes[name])
                for name in outcomes
            ],
        )

    engagement_key, agents_key = (
        dg.AssetKey([vendor, "engagement_daily"]),
        dg.AssetKey([vendor, "agent_daily"]),
    )

    @dg.multi_asset(
        name=f"{vendor}_engagement",
        specs=[
            dg.AssetSpec(
                engagement_key,
                deps=[conversations_key, messages_key],
                group_name=vendor,
                kinds={"parquet"},
                automation_condition=FOLLOW_INPUTS,
                tags=_tags("engagement_daily"),
                metadata={"dagster/column_schema": column_schema("engagement_daily")},
                description=f"{vendor} per account and day: volumes, response times, containment, handoff, "
                "fallback and abandonment (definitions in the README).",
            ),
            dg.AssetSpec(
                agents_key,
                deps=[conversations_key, messages_key],
                group_name=vendor,
                kinds={"parquet"},
                automation_condition=FOLLOW_INPUTS,
                tags=_tags("agent_daily"),
                metadata={"dagster/column_schema": column_schema("agent_daily")},
                description=f"{vendor} per agent and day: conversations, median first response, mean "
                "customer sentiment.",
            ),
        ],
        partitions_def=partitions.daily(tz),
        backfill_policy=RANGE_POLICY,
        op_tags=execution.COMPUTE,
        # Subsettable: a backfill or automation may target one of the two tables (and Dagster's backfill
        # refuses a non-subsettable multi-asset whose keys' targeted partitions differ).
        can_subset=True,
    )
    def engagement(context: dg.AssetExecutionContext, store: StoreResource):  # type: ignore[no-untyped-def]
        data = store.store()
        selected = context.selected_asset_keys
        window, con = CustomerWindow(data, vendor), connect()
        for batch in _batches(data, vendor, context.partition_keys):
            with RangeTables(batch, window.earlier(next(iter(batch))), con) as tables:
                engagement_by_day, agents_by_day = tables.engagement(), tables.agents()
                for day, customers in tables.customers().items():
                    window.add(day, customers)
            for day in batch:
                daily, agents = engagement_by_day[day], agents_by_day[day]
                if engagement_key in selected:
                    data.write_table("engagement_daily", day, vendor, daily)
                    containment = [v for v in daily.column("containment_rate").to_pylist() if v is not None]
                    context.add_asset_metadata(
                        {
                            "rows": daily.num_rows,
                            **(
                                {"containment_rate_mean": sum(containment) / len(containment)}
                                if containment
                                else {}
                            ),
                        },
                        asset_key=engagement_key,
                        partition_key=day,
                    )
                if agents_key in selected:
                    data.write_table("agent_daily", day, vendor, agents)
                    context.add_asset_metadata(
                        {"rows": agents.num_rows}, asset_key=agents_key, partition_key=day
                    )
        con.close()
        for key in (engagement_key, agents_key):
            if key in selected:
                yield dg.MaterializeResult(asset_key=key)

    @dg.asset(
        key=[vendor, "sentiment_daily"],
        deps=[conversations_key, messages_key],
        group_name=vendor,
        partitions_def=partitions.daily(tz),
        backfill_policy=RANGE_POLICY,
        op_tags=execution.COMPUTE,
        kinds={"parquet"},
        tags=_tags("sentiment_daily"),
        automation_condition=FOLLOW_INPUTS,
        metadata={"dagster/column_schema": column_schema("sentiment_daily")},
        description=f"{vendor} per account and day: scored messages, mean customer sentiment, label shares of messages "
        "and conversations, agreement with the vendor's own sentiment where it gives one.",
    )
    def sentiment_daily(context: dg.AssetExecutionContext, store: StoreResource) -> dg.MaterializeResult:
        data, con = store.store(), connect()
        for batch in _batches(data, vendor, context.partition_keys):
            with RangeTables(batch, con=con) as tables:
                by_day = tables.sentiment()
            for day, table in by_day.items():
                data.write_table("sentiment_daily", day, vendor, table)
                negative = [v for v in table.column("negative_share").to_pylist() if v is not None]
                context.add_asset_metadata(
                    {
                        "scored_messages": sum(table.column("scored_messages").to_pylist()),
                        "complaint_conversations": sum(table.column("complaint_conversations").to_pylist()),
                        **({"negative_share_mean": sum(negative) / len(negative)} if negative else {}),
                    },
                    partition_key=day,
                )
        con.close()
        return dg.MaterializeResult(metadata={"days": len(context.partition_keys)})

    return [conversations, engagement, sentiment_daily]


#: A batch of days computed by one query each: up to a month, or fewer days when they are big (the
#: batch's messages are held in memory together; a day of the normalize bench is 150,000 messages).
BATCH_DAYS, BATCH_MESSAGES = 31, 400_000


def _batches(store: DataStore, vendor: str, days: Sequence[str]) -> Iterator[dict[str, pa.Table]]:
    """The range's days in order, in batches of their canonical messages."""
    batch: dict[str, pa.Table] = {}
    held = 0
    for day in days:
        batch[day] = _require_messages(store, vendor, day)
        held += batch[day].num_rows
        if len(batch) >= BATCH_DAYS or held >= BATCH_MESSAGES:
            yield batch
            batch, held = {}, 0
    if batch:
        yield batch


def _require_messages(store: DataStore, vendor: str, day: str) -> pa.Table:
    messages = day_messages(store, day, vendor)
    if messages is None:
        raise dg.Failure(
            description=f"[{vendor}] day {day}: no canonical messages stored. What to do: materialize "
            f"{vendor}/messages for {day} first (or together: --select 'group:{vendor}').",
            allow_retries=False,
        )
    return messages
