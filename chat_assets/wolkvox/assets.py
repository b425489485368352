"""Wolkvox assets: `wolkvox/raw` (one JSON per local-time window) and its canonical messages.

Every Wolkvox fetch runs in the Dagster pool `wolkvox` (limit 1 in dagster.yaml): one caller
per token across all runs. `wolkvox/messages` of a day also reads the previous day's raw, if it
is stored, so a conversation returned on both days is kept once (see normalize.py). Jelou's
messages read the day before the same way. That read is not declared as a partition dependency
(a `TimeWindowPartitionMapping(start_offset=-1)`): tried, and Dagster's asset backfill then
walks the mapping downstream (`AssetBackfillData.from_asset_partitions`), so a UI backfill of
D..E also targets messages and derived tables of E+1, a day with no raw data: that day fails,
or, skipped, holds back the same run's derived tables. Declaring it as a self-dependency of
messages (D on messages D-1) keeps backfills to their range, but Dagster's staleness looks one
edge up only: re-fetching raw D-1 then marks messages D-1 stale and not D, so it would not say
what the issue asks either (both measured on Dagster 1.13). Re-fetching D-1 is rare (a vendor fix);
re-run D with it (`--select '<vendor>/raw' --partition D-1` then `'<vendor>/messages' D`).
"""

import dagster as dg

from chat_assets.normalized_asset import normalized_assets
from chat_assets.raw_asset import raw_asset
from chat_assets.wolkvox.client import VENDOR
from chat_assets.wolkvox.normalize import normalize_one

POOL = "wolkvox"


def build_assets(
    partitions_def: dg.PartitionsDefinition, freshness_policy: dg.FreshnessPolicy | None = None
) -> list[dg.AssetsDefinition]:
    raw = raw_asset(
        vendor=VENDOR,
        partitions_def=partitions_def,
        kinds={"api", "json"},
        pool=POOL,
        intraday=True,
        description=(
            "Wolkvox `chat_2` conversations for the configured server, fetched as local-time windows (split when "
            "an answer nears 60,000 records), one JSON per window under raw/wolkvox/<day>/<server>/. Today's "
            "partition is refreshed through the day; it is fetched again once the day is over."
        ),
    )
    normalized = normalized_assets(
        vendor=VENDOR,
        freshness_policy=freshness_policy,
        tables=("messages",),
        partitions_def=partitions_def,
        normalize_one=normalize_one,
        description="Wolkvox conversations, normalized; a conversation returned on two days is kept once.",
    )
    return [raw, normalized]
