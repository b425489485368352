"""Jelou assets: `jelou/raw` (every history page of a bot's day) and its canonical messages."""

import functools

import dagster as dg

from chat_assets import partitions
from chat_assets.jelou.client import VENDOR
from chat_assets.jelou.normalize import normalize_one
from chat_assets.vendor_assets import normalized_assets, raw_asset

jelou_raw = raw_asset(
    vendor=VENDOR,
    kinds={"api", "json"},
    make_client=lambda resource, store: resource.client(),
    description=(
        "Jelou message history of every configured bot for the local day (ISO 8601 bounds with offset), 50 per "
        "page until totalPages, one JSON per page under raw/jelou/<day>/<bot>/."
    ),
)


def build_normalized(silence_minutes: int = 30) -> dg.AssetsDefinition:
    return normalized_assets(
        vendor=VENDOR,
        tables=("messages",),
        partitions_def=partitions.daily,
        normalize_one=functools.partial(normalize_one, silence_minutes=silence_minutes),
        description=f"Jelou history, normalized; conversations end after {silence_minutes} minutes of silence.",
    )


ASSETS = [jelou_raw]
