"""Contacto Multichat assets: `multichat/raw` (report JSON, zips, CSVs) and its canonical tables."""


import dagster as dg

from chat_assets import partitions
from chat_assets.cadence import RAW_RETRY_POLICY
from chat_assets.multichat.client import VENDOR, MultichatResource
from chat_assets.multichat.normalize import normalize_one
from chat_assets.vendor_assets import RawFetchConfig, StoreResource, fetch_account_days, normalized_assets


@dg.asset(
    key=[VENDOR, "raw"],
    group_name=VENDOR,
    partitions_def=partitions.daily,
    backfill_policy=dg.BackfillPolicy.single_run(),
    retry_policy=RAW_RETRY_POLICY,
    kinds={"api", "csv"},
    description=(
        "Contacto Multichat `conversaciones` and `captura_datos` reports for every configured line number: the "
        "report JSON, each zip as downloaded and the CSVs inside, under raw/multichat/<day>/<number>/. Reports "
        "exist only up to yesterday; links are downloaded at once (they live one hour)."
    ),
)
def multichat_raw(
    context: dg.AssetExecutionContext, config: RawFetchConfig, store: StoreResource, multichat: MultichatResource
) -> dg.MaterializeResult:
    client = multichat.client()
    try:
        return fetch_account_days(
            context, vendor=VENDOR, store=store.store(), days=context.partition_keys, accounts=multichat.accounts(),
            refetch=config.refetch, describe=client.describe, fetch_one=client.fetch_day, redact=client.redact,
            tz=store.timezone, call_stats=client.http.stats.as_metadata,
        )
    finally:
        client.close()


multichat_normalized = normalized_assets(
    vendor=VENDOR,
    tables=("messages", "captures"),
    partitions_def=partitions.daily,
    normalize_one=normalize_one,
    description="Contacto Multichat reports, normalized.",
)

ASSETS = [multichat_raw, multichat_normalized]
