"""Wannabot as a code location: its variables, its resource, its Definitions (a sensor, no schedule)."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from chat_assets import partitions
from chat_assets.config import VendorEnv
from chat_assets.settings import StoreResource
from chat_assets.vendor import Vendor, vendor_definitions
from chat_assets.wannabot import cadence
from chat_assets.wannabot.assets import build_assets
from chat_assets.wannabot.client import VENDOR, WannabotResource

ENV = VendorEnv(
    vendor=VENDOR,
    required=("WANNABOT_API_KEY",),
    secrets=("WANNABOT_API_KEY",),
    urls={"WANNABOT_BASE_URL": "https://api.wannabot.io"},
)


def build(settings: StoreResource, environ: Mapping[str, str]) -> dg.Definitions:
    values = ENV.read(environ)
    resource = WannabotResource(
        store=settings, base_url=values["WANNABOT_BASE_URL"], api_key=ENV.env_var("WANNABOT_API_KEY")
    )
    return vendor_definitions(
        VENDOR,
        settings,
        resource,
        build_assets(partitions.daily(settings.timezone), cadence.freshness(settings.timezone)),
        sensors=cadence.sensors(),
    )


WANNABOT = Vendor(name=VENDOR, env=ENV, build=build)
