"""Jelou as a code location: its variables, its resource, its Definitions."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from chat_assets import partitions
from chat_assets.config import ConfigError, VendorEnv
from chat_assets.jelou import cadence
from chat_assets.jelou.assets import build_assets
from chat_assets.jelou.client import VENDOR, JelouResource
from chat_assets.settings import StoreResource
from chat_assets.vendor import Vendor, vendor_definitions

ENV = VendorEnv(
    vendor=VENDOR,
    required=("JELOU_USERNAME", "JELOU_PASSWORD", "JELOU_BOT_IDS"),
    secrets=("JELOU_PASSWORD",),
    lists=("JELOU_BOT_IDS",),
    urls={"JELOU_BASE_URL": "https://api.jelou.ai"},
    patterns={"JELOU_BOT_IDS": (r"[A-Za-z0-9_-]{1,100}", "letters, digits, '-' and '_'")},
)


def silence_minutes(environ: Mapping[str, str]) -> int:
    raw = (environ.get("JELOU_SILENCE_MINUTES") or "30").strip()
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"JELOU_SILENCE_MINUTES={raw!r} must be a whole number of minutes, e.g. 30.")
    return int(raw)


def build(settings: StoreResource, environ: Mapping[str, str]) -> dg.Definitions:
    values = ENV.read(environ)
    silence = silence_minutes(environ)
    resource = JelouResource(
        store=settings,
        base_url=values["JELOU_BASE_URL"],
        username=ENV.env_var("JELOU_USERNAME"),
        password=ENV.env_var("JELOU_PASSWORD"),
        bot_ids=values["JELOU_BOT_IDS"],
        silence_minutes=silence,
    )
    return vendor_definitions(
        VENDOR,
        settings,
        resource,
        build_assets(partitions.daily(settings.timezone), silence, cadence.freshness(settings.timezone)),
        schedules=cadence.schedules(settings.timezone),
    )


JELOU = Vendor(name=VENDOR, env=ENV, build=build)
