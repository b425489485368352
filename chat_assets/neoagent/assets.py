"""Neoagent assets: `neoagent/raw` (range answers, referenced by each local day) and messages.

Runs share the Dagster pool `neoagent` and, underneath, a rate limiter whose state is shared by
every run and process, so the 10-requests-a-minute limit holds across them. The client is told
once which days a run fetches (`prepare`) and asks for one UTC range covering them.
"""

import dagster as dg

from chat_assets.neoagent.client import VENDOR
from chat_assets.neoagent.normalize import normalize_one
from chat_assets.normalized_asset import normalized_assets
from chat_assets.raw_asset import raw_asset

POOL = "neoagent"


def build_assets(
    partitions_def: dg.PartitionsDefinition, freshness_policy: dg.FreshnessPolicy | None = None
) -> list[dg.AssetsDefinition]:
    raw = raw_asset(
        vendor=VENDOR,
        partitions_def=partitions_def,
        kinds={"api", "json"},
        pool=POOL,
        description=(
            "Neoagent chat history per chatbot serial number. A run asks once for the UTC range covering its "
            "local days (halving it on 413); answers are kept once under raw/neoagent/_ranges/<serial>/ and each "
            "day's manifest under raw/neoagent/<day>/<serial>/ references them."
        ),
    )
    normalized = normalized_assets(
        vendor=VENDOR,
        freshness_policy=freshness_policy,
        tables=("messages",),
        partitions_def=partitions_def,
        normalize_one=normalize_one,
        description="Neoagent sessions created in the local day, normalized.",
    )
    return [raw, normalized]
