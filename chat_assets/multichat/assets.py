"""Contacto Multichat assets: `multichat/raw` (report JSON, zips, CSVs) and its canonical tables."""

from chat_assets import partitions
from chat_assets.multichat.client import VENDOR
from chat_assets.multichat.normalize import normalize_one
from chat_assets.vendor_assets import normalized_assets, raw_asset

multichat_raw = raw_asset(
    vendor=VENDOR,
    kinds={"api", "csv"},
    make_client=lambda resource, store: resource.client(),
    description=(
        "Contacto Multichat `conversaciones` and `captura_datos` reports for every configured line number: the "
        "report JSON, each zip as downloaded and the CSVs inside, under raw/multichat/<day>/<number>/. Reports "
        "exist only up to yesterday; links are downloaded at once (they live one hour)."
    ),
)

multichat_normalized = normalized_assets(
    vendor=VENDOR,
    tables=("messages", "captures"),
    partitions_def=partitions.daily,
    normalize_one=normalize_one,
    description="Contacto Multichat reports, normalized.",
    with_vendor_resource=True,
)

ASSETS = [multichat_raw, multichat_normalized]
