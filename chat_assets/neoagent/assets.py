"""Neoagent assets: `neoagent/raw` (range answers, referenced by each local day) and messages.

Runs share the Dagster pool `neoagent` and, underneath, a rate limiter whose state lives in the
data dir, so the 10-requests-a-minute limit holds across runs and processes.
"""

import dagster as dg

from chat_assets import partitions
from chat_assets.cadence import RAW_RETRY_POLICY
from chat_assets.neoagent.client import VENDOR, NeoagentResource
from chat_assets.neoagent.normalize import normalize_one
from chat_assets.vendor_assets import RawFetchConfig, StoreResource, fetch_account_days, normalized_assets

POOL = "neoagent"


@dg.asset(
    key=[VENDOR, "raw"],
    group_name=VENDOR,
    partitions_def=partitions.daily,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=POOL,
    retry_policy=RAW_RETRY_POLICY,
    kinds={"api", "json"},
    description=(
        "Neoagent chat history per chatbot serial number. A run asks once for the UTC range covering its local "
        "days (halving it on 413); answers are kept once under raw/neoagent/_ranges/<serial>/ and each day's "
        "manifest under raw/neoagent/<day>/<serial>/ references them."
    ),
)
def neoagent_raw(
    context: dg.AssetExecutionContext, config: RawFetchConfig, store: StoreResource, neoagent: NeoagentResource
) -> dg.MaterializeResult:
    data = store.store()
    client = neoagent.client(data)
    needed = [d for d in context.partition_keys
              if config.refetch or not all(data.raw_is_complete(VENDOR, d, s) for s in neoagent.accounts())]
    client.plan(needed)
    try:
        return fetch_account_days(
            context, vendor=VENDOR, store=data, days=context.partition_keys, accounts=neoagent.accounts(),
            refetch=config.refetch, describe=client.describe, fetch_one=client.fetch_day, redact=client.redact,
            tz=store.timezone, call_stats=client.http.stats.as_metadata,
        )
    finally:
        client.close()


neoagent_normalized = normalized_assets(
    vendor=VENDOR,
    tables=("messages",),
    partitions_def=partitions.daily,
    normalize_one=normalize_one,
    description="Neoagent sessions created in the local day, normalized.",
)

ASSETS = [neoagent_raw, neoagent_normalized]
