"""Contacto Multichat as a code location: its variables, its resource, its Definitions."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from chat_assets import partitions
from chat_assets.config import VendorEnv
from chat_assets.multichat import cadence
from chat_assets.multichat.assets import build_assets
from chat_assets.multichat.client import VENDOR, MultichatResource
from chat_assets.multichat.columns import parse_override
from chat_assets.settings import StoreResource
from chat_assets.vendor import Vendor, vendor_definitions

ENV = VendorEnv(
    vendor=VENDOR,
    required=("MULTICHAT_LOGIN", "MULTICHAT_TOKEN", "MULTICHAT_NUMBERS"),
    secrets=("MULTICHAT_TOKEN",),
    lists=("MULTICHAT_NUMBERS",),
    urls={"MULTICHAT_BASE_URL": "https://contacto-multichat.com/bot/chat_wa/ws/report/"},
    patterns={"MULTICHAT_NUMBERS": (r"\d{6,20}", "the line number in digits, country code first")},
)


def build(settings: StoreResource, environ: Mapping[str, str]) -> dg.Definitions:
    values = ENV.read(environ)
    # MULTICHAT_COLUMNS is validated now, so a typo fails when the code location loads, not at 6 a.m.
    columns = (environ.get("MULTICHAT_COLUMNS") or "").strip()
    parse_override(columns)
    resource = MultichatResource(
        store=settings,
        base_url=values["MULTICHAT_BASE_URL"],
        login=ENV.env_var("MULTICHAT_LOGIN"),
        token=ENV.env_var("MULTICHAT_TOKEN"),
        numbers=values["MULTICHAT_NUMBERS"],
        columns=columns,
    )
    return vendor_definitions(
        VENDOR,
        settings,
        resource,
        build_assets(partitions.daily(settings.timezone), cadence.freshness(settings.timezone)),
        schedules=cadence.schedules(settings.timezone),
    )


MULTICHAT = Vendor(name=VENDOR, env=ENV, build=build)
