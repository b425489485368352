"""Derived assets: conversations, engagement_daily (+ agent_daily) and sentiment_daily.

They read the canonical `messages` partitions of whatever vendors are configured (one Parquet
file per provider and day) and write one file per provider and day, like every table. Blocking
checks on `conversations` keep the summaries from being built on inconsistent conversations.
"""

import time
from typing import Any

import dagster as dg
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from chat_assets import checks, partitions
from chat_assets.analytics.tables import (
    conversation_frame,
    conversations_table,
    engagement_tables,
    sentiment_table,
)
from chat_assets.cadence import FOLLOW_INPUTS
from chat_assets.storage import DataStore
from chat_assets.vendor_assets import StoreResource, check_result, column_schema

GROUP = "analytics"
LOOKBACK_DAYS = 30


def day_messages(store: DataStore, day: str) -> dict[str, pa.Table]:
    """provider -> that day's canonical messages (only providers whose partition exists)."""
    out = {}
    for rel in store.list_files(f"warehouse/messages/date={day}"):
        if rel.endswith(".parquet"):
            out[rel.rsplit("/", 1)[1].removesuffix(".parquet")] = store.read_table("messages", day, rel.rsplit("/", 1)[1][:-8])
    return out


def earlier_customers(store: DataStore, provider: str, day: str) -> dict[tuple[str, str], set[str]]:
    seen: dict[tuple[str, str], set[str]] = {}
    for back in range(1, LOOKBACK_DAYS + 1):
        earlier = (pd.Timestamp(day) - pd.Timedelta(days=back)).date().isoformat()
        table = store.read_table("conversations", earlier, provider)
        if table is None or not table.num_rows:
            continue
        for row in table.select(["account", "customer_id"]).group_by(["account", "customer_id"]).aggregate([]).to_pylist():
            if row["customer_id"] is not None:
                seen.setdefault((provider, row["account"]), set()).add(row["customer_id"])
    return seen


def _summary_md(stats: dict[str, Any]) -> str:
    lines = ["| metric | value |", "|---|---|"]
    for key, value in stats.items():
        lines.append(f"| {key} | {'—' if value is None else (round(value, 3) if isinstance(value, float) else value)} |")
    return "\n".join(lines)


def _mean(values: pa.Array) -> float | None:
    value = pc.mean(values).as_py()
    return None if value is None else float(value)


def build_analytics_assets(message_keys: list[dg.AssetKey]) -> list[dg.AssetsDefinition]:
    conversations_key = dg.AssetKey("conversations")

    @dg.asset(
        key=conversations_key,
        deps=message_keys,
        group_name=GROUP,
        partitions_def=partitions.daily,
        backfill_policy=dg.BackfillPolicy.single_run(),
        kinds={"parquet"},
        automation_condition=FOLLOW_INPUTS,
        metadata={"dagster/column_schema": column_schema("conversations")},
        check_specs=[
            dg.AssetCheckSpec("every_conversation_has_messages", asset=conversations_key, blocking=True,
                              description="Every conversation has at least one message in `messages`."),
            dg.AssetCheckSpec("message_counts_match", asset=conversations_key, blocking=True,
                              description="The sum of n_messages equals the number of messages of the day."),
        ],
        description="One row per conversation, derived from canonical messages only: warehouse/conversations/.",
    )
    def conversations(context: dg.AssetExecutionContext, store: StoreResource) -> dg.MaterializeResult:
        data = store.store()
        outcomes: dict[str, list] = {"every_conversation_has_messages": [], "message_counts_match": []}
        written = 0
        for day in context.partition_keys:
            started = time.monotonic()
            by_provider = day_messages(data, day)
            tables = []
            for provider, messages in sorted(by_provider.items()):
                table = conversations_table(conversation_frame(messages))
                data.write_table("conversations", day, provider, table)
                tables.append(table)
                written += table.num_rows
            all_messages = pa.concat_tables(by_provider.values()) if by_provider else pa.table({})
            all_conversations = pa.concat_tables(tables) if tables else None
            if all_conversations is not None:
                outcomes["every_conversation_has_messages"].append(
                    (day, *checks.conversations_have_messages(all_conversations, all_messages)))
                outcomes["message_counts_match"].append((day, *checks.message_counts_match(all_conversations, all_messages)))
                stats = {
                    "messages": all_messages.num_rows,
                    "conversations": all_conversations.num_rows,
                    "containment_rate": _mean(all_conversations.column("contained")),
                    "mean_sentiment": _mean(all_conversations.column("sentiment")),
                    "negative_share": _mean(pc.equal(all_conversations.column("sentiment_label"), "negative")),
                    "median_first_response_s": (pc.approximate_median(all_conversations.column("first_response_s")).as_py()
                                                if all_conversations.num_rows else None),
                }
            else:
                stats = {"messages": 0, "conversations": 0}
            context.add_asset_metadata(
                {**{k: v for k, v in stats.items() if v is not None}, "providers": ", ".join(sorted(by_provider)) or "none",
                 "summary": dg.MetadataValue.md(_summary_md(stats)), "elapsed_s": round(time.monotonic() - started, 3)},
                partition_key=day,
            )
        return dg.MaterializeResult(
            metadata={"days": len(context.partition_keys), "rows_written": written},
            check_results=[
                check_result(dg.AssetCheckSpec(name, asset=conversations_key, blocking=True), outcomes[name])
                for name in outcomes
            ],
        )

    @dg.multi_asset(
        name="engagement",
        specs=[
            dg.AssetSpec("engagement_daily", deps=[conversations_key, *message_keys], group_name=GROUP, kinds={"parquet"},
                         automation_condition=FOLLOW_INPUTS,
                         metadata={"dagster/column_schema": column_schema("engagement_daily")},
                         description="Per provider, account and day: volumes, response times, containment, handoff, "
                                     "fallback and abandonment (definitions in the README)."),
            dg.AssetSpec("agent_daily", deps=[conversations_key, *message_keys], group_name=GROUP, kinds={"parquet"},
                         automation_condition=FOLLOW_INPUTS,
                         metadata={"dagster/column_schema": column_schema("agent_daily")},
                         description="Per agent and day: conversations, median first response, mean customer sentiment."),
        ],
        partitions_def=partitions.daily,
        backfill_policy=dg.BackfillPolicy.single_run(),
    )
    def engagement(context: dg.AssetExecutionContext, store: StoreResource):  # type: ignore[no-untyped-def]
        data = store.store()
        for day in context.partition_keys:
            engagement_rows = agent_rows = 0
            containment = []
            for provider, messages in sorted(day_messages(data, day).items()):
                frame = conversation_frame(messages)
                daily, agents = engagement_tables(frame, earlier_customers(data, provider, day))
                data.write_table("engagement_daily", day, provider, daily)
                data.write_table("agent_daily", day, provider, agents)
                engagement_rows += daily.num_rows
                agent_rows += agents.num_rows
                containment.extend(v for v in daily.column("containment_rate").to_pylist() if v is not None)
            context.add_asset_metadata({"rows": engagement_rows, **({"containment_rate_mean": sum(containment) / len(
                containment)} if containment else {})}, asset_key="engagement_daily", partition_key=day)
            context.add_asset_metadata({"rows": agent_rows}, asset_key="agent_daily", partition_key=day)
        yield dg.MaterializeResult(asset_key="engagement_daily")
        yield dg.MaterializeResult(asset_key="agent_daily")

    @dg.asset(
        key="sentiment_daily",
        deps=[conversations_key, *message_keys],
        group_name=GROUP,
        partitions_def=partitions.daily,
        backfill_policy=dg.BackfillPolicy.single_run(),
        kinds={"parquet"},
        automation_condition=FOLLOW_INPUTS,
        metadata={"dagster/column_schema": column_schema("sentiment_daily")},
        description="Per provider, account and day: scored messages, mean customer sentiment, label shares of messages "
                    "and conversations, agreement with the vendor's own sentiment where it gives one.",
    )
    def sentiment_daily(context: dg.AssetExecutionContext, store: StoreResource) -> dg.MaterializeResult:
        data = store.store()
        for day in context.partition_keys:
            scored, negative = 0, []
            for provider, messages in sorted(day_messages(data, day).items()):
                table = sentiment_table(messages, conversation_frame(messages))
                data.write_table("sentiment_daily", day, provider, table)
                scored += sum(table.column("scored_messages").to_pylist())
                negative.extend(v for v in table.column("negative_share").to_pylist() if v is not None)
            context.add_asset_metadata(
                {"scored_messages": scored, **({"negative_share_mean": sum(negative) / len(negative)} if negative else {})},
                partition_key=day,
            )
        return dg.MaterializeResult(metadata={"days": len(context.partition_keys)})

    return [conversations, engagement, sentiment_daily]
