"""Neoagent as a code location: its variables, its resource, its Definitions."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from chat_assets import partitions
from chat_assets.config import VendorEnv
from chat_assets.neoagent import cadence
from chat_assets.neoagent.assets import build_assets
from chat_assets.neoagent.client import VENDOR, NeoagentResource
from chat_assets.settings import StoreResource
from chat_assets.vendor import Vendor, vendor_definitions

ENV = VendorEnv(
    vendor=VENDOR,
    required=("NEOAGENT_API_KEY", "NEOAGENT_SERIAL_NUMBERS"),
    secrets=("NEOAGENT_API_KEY",),
    lists=("NEOAGENT_SERIAL_NUMBERS",),
    urls={"NEOAGENT_BASE_URL": "https://app.neoagent.co"},
    patterns={"NEOAGENT_SERIAL_NUMBERS": (r"[A-Za-z0-9_-]{1,100}", "letters and digits")},
)


def build(settings: StoreResource, environ: Mapping[str, str]) -> dg.Definitions:
    values = ENV.read(environ)
    resource = NeoagentResource(
        store=settings,
        base_url=values["NEOAGENT_BASE_URL"],
        api_key=ENV.env_var("NEOAGENT_API_KEY"),
        serial_numbers=values["NEOAGENT_SERIAL_NUMBERS"],
    )
    return vendor_definitions(
        VENDOR,
        settings,
        resource,
        build_assets(partitions.daily(settings.timezone), cadence.freshness(settings.timezone)),
        schedules=cadence.schedules(settings.timezone),
    )


NEOAGENT = Vendor(name=VENDOR, env=ENV, build=build)
