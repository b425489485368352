"""Contacto Multichat assets: `multichat/raw` (report JSON, zips, CSVs) and its canonical tables."""

import dagster as dg

from chat_assets.multichat.client import VENDOR
from chat_assets.multichat.normalize import normalize_one
from chat_assets.normalized_asset import normalized_assets
from chat_assets.raw_asset import raw_asset


def build_assets(
    partitions_def: dg.PartitionsDefinition, freshness_policy: dg.FreshnessPolicy | None = None
) -> list[dg.AssetsDefinition]:
    raw = raw_asset(
        vendor=VENDOR,
        partitions_def=partitions_def,
        kinds={"api", "csv"},
        description=(
            "Contacto Multichat `conversaciones` and `captura_datos` reports for every configured line number: "
            "the report JSON, each zip as downloaded and the CSVs inside, under raw/multichat/<day>/<number>/. "
            "Reports exist only up to yesterday; links are downloaded at once (they live one hour)."
        ),
    )
    normalized = normalized_assets(
        vendor=VENDOR,
        freshness_policy=freshness_policy,
        tables=("messages", "captures"),
        partitions_def=partitions_def,
        normalize_one=normalize_one,
        description="Contacto Multichat reports, normalized.",
        with_vendor_resource=True,
    )
    return [raw, normalized]
