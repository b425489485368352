"""Jelou assets: `jelou/raw` (every history page of a bot's day) and its canonical messages."""

import functools

import dagster as dg

from chat_assets.jelou.client import VENDOR
from chat_assets.jelou.normalize import normalize_one
from chat_assets.normalized_asset import normalized_assets
from chat_assets.raw_asset import raw_asset


def build_assets(
    partitions_def: dg.PartitionsDefinition,
    silence_minutes: int = 30,
    freshness_policy: dg.FreshnessPolicy | None = None,
) -> list[dg.AssetsDefinition]:
    raw = raw_asset(
        vendor=VENDOR,
        partitions_def=partitions_def,
        kinds={"api", "json"},
        description=(
            "Jelou message history of every configured bot for the local day (ISO 8601 bounds with offset), 50 "
            "per page until totalPages, one JSON per page under raw/jelou/<day>/<bot>/."
        ),
    )
    normalized = normalized_assets(
        vendor=VENDOR,
        freshness_policy=freshness_policy,
        tables=("messages",),
        partitions_def=partitions_def,
        normalize_one=functools.partial(normalize_one, silence_minutes=silence_minutes),
        description=f"Jelou history, normalized; conversations end after {silence_minutes} minutes of silence.",
    )
    return [raw, normalized]
