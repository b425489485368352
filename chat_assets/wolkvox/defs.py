"""Wolkvox as a code location: its variables, its resource, its Definitions."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from chat_assets import partitions
from chat_assets.config import VendorEnv, env_number
from chat_assets.settings import StoreResource
from chat_assets.vendor import Vendor, vendor_definitions
from chat_assets.wolkvox import cadence
from chat_assets.wolkvox.assets import build_assets
from chat_assets.wolkvox.client import VENDOR, WolkvoxResource

ENV = VendorEnv(
    vendor=VENDOR,
    required=("WOLKVOX_SERVER", "WOLKVOX_TOKEN"),
    secrets=("WOLKVOX_TOKEN",),
    urls={"WOLKVOX_BASE_URL": "https://wv{WOLKVOX_SERVER}.wolkvox.com"},
    timezones=("WOLKVOX_TIMEZONE",),
    patterns={
        "WOLKVOX_SERVER": (
            r"\d{1,10}",
            "digits only: it becomes part of the host name wv<server>.wolkvox.com",
        )
    },
)


def build(settings: StoreResource, environ: Mapping[str, str]) -> dg.Definitions:
    values = ENV.read(environ)
    resource = WolkvoxResource(
        store=settings,
        base_url=values["WOLKVOX_BASE_URL"],
        server=values["WOLKVOX_SERVER"],
        token=ENV.env_var("WOLKVOX_TOKEN"),
        vendor_timezone=values["WOLKVOX_TIMEZONE"],
        daily_quota=int(env_number("WOLKVOX_DAILY_QUOTA", 1000, 1, 10**7, environ)),
        intraday_share=env_number("WOLKVOX_INTRADAY_SHARE", 0.8, 0, 1, environ),
        min_interval_s=env_number("WOLKVOX_MIN_INTERVAL_S", 0.0, 0, 60, environ),
    )
    return vendor_definitions(
        VENDOR,
        settings,
        resource,
        build_assets(partitions.daily(settings.timezone), cadence.freshness(settings.timezone)),
        schedules=cadence.schedules(settings.timezone),
    )


WOLKVOX = Vendor(name=VENDOR, env=ENV, build=build)
