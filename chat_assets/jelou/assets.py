"""Jelou assets: `jelou/raw` (every history page of a bot's day) and its canonical messages."""

import functools

import dagster as dg

from chat_assets import partitions
from chat_assets.cadence import RAW_RETRY_POLICY
from chat_assets.jelou.client import VENDOR, JelouResource
from chat_assets.jelou.normalize import normalize_one
from chat_assets.vendor_assets import RawFetchConfig, StoreResource, fetch_account_days, normalized_assets


@dg.asset(
    key=[VENDOR, "raw"],
    group_name=VENDOR,
    partitions_def=partitions.daily,
    backfill_policy=dg.BackfillPolicy.single_run(),
    retry_policy=RAW_RETRY_POLICY,
    kinds={"api", "json"},
    description=(
        "Jelou message history of every configured bot for the local day (ISO 8601 bounds with offset), 50 per "
        "page until totalPages, one JSON per page under raw/jelou/<day>/<bot>/."
    ),
)
def jelou_raw(
    context: dg.AssetExecutionContext, config: RawFetchConfig, store: StoreResource, jelou: JelouResource
) -> dg.MaterializeResult:
    client = jelou.client()
    try:
        return fetch_account_days(
            context, vendor=VENDOR, store=store.store(), days=context.partition_keys, accounts=jelou.accounts(),
            refetch=config.refetch, describe=client.describe, fetch_one=client.fetch_day, redact=client.redact,
            tz=store.timezone, call_stats=client.http.stats.as_metadata,
        )
    finally:
        client.close()


def build_normalized(silence_minutes: int = 30) -> dg.AssetsDefinition:
    return normalized_assets(
        vendor=VENDOR,
        tables=("messages",),
        partitions_def=partitions.daily,
        normalize_one=functools.partial(normalize_one, silence_minutes=silence_minutes),
        description=f"Jelou history, normalized; conversations end after {silence_minutes} minutes of silence.",
    )


ASSETS = [jelou_raw]
