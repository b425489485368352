"""Wolkvox assets: `wolkvox/raw` (one JSON per local-time window) and its canonical messages.

Every Wolkvox fetch runs in the Dagster pool `wolkvox` (limit 1 in dagster.yaml): one caller
per token across all runs. `wolkvox/messages` of a day also reads the previous day's raw, if it
is stored, so a conversation returned on both days is kept once (see normalize.py). That read is
not declared as a partition dependency: Dagster would then treat every raw day as an input of the
next day's messages and extend each backfill by a day that has no raw data yet.
"""

import dagster as dg

from chat_assets import partitions
from chat_assets.cadence import RAW_RETRY_POLICY
from chat_assets.vendor_assets import RawFetchConfig, StoreResource, fetch_account_days, normalized_assets
from chat_assets.wolkvox.client import VENDOR, WolkvoxResource
from chat_assets.wolkvox.normalize import normalize_one

POOL = "wolkvox"


@dg.asset(
    key=[VENDOR, "raw"],
    group_name=VENDOR,
    partitions_def=partitions.daily,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=POOL,
    retry_policy=RAW_RETRY_POLICY,
    kinds={"api", "json"},
    description=(
        "Wolkvox `chat_2` conversations for the configured server, fetched as local-time windows (split when "
        "an answer nears 60,000 records), one JSON per window under raw/wolkvox/<day>/<server>/."
    ),
)
def wolkvox_raw(
    context: dg.AssetExecutionContext, config: RawFetchConfig, store: StoreResource, wolkvox: WolkvoxResource
) -> dg.MaterializeResult:
    client = wolkvox.client()
    try:
        return fetch_account_days(
            context, vendor=VENDOR, store=store.store(), days=context.partition_keys, accounts=wolkvox.accounts(),
            refetch=config.refetch, describe=client.describe, fetch_one=client.fetch_day, redact=client.redact,
            tz=store.timezone, call_stats=client.http.stats.as_metadata, intraday=True,
        )
    finally:
        client.close()


wolkvox_normalized = normalized_assets(
    vendor=VENDOR,
    tables=("messages",),
    partitions_def=partitions.daily,
    normalize_one=normalize_one,
    description="Wolkvox conversations, normalized; a conversation returned on two days is kept once.",
)

ASSETS = [wolkvox_raw, wolkvox_normalized]
