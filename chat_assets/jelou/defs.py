"""How Jelou plugs into the code location: its variables, resource and assets."""

from __future__ import annotations

import os
from collections.abc import Mapping

from chat_assets.config import ConfigError, VendorEnv, core_settings
from chat_assets.jelou.assets import ASSETS as RAW_ASSETS
from chat_assets.jelou.assets import build_normalized
from chat_assets.jelou.cadence import JOBS, SCHEDULES, SENSORS
from chat_assets.jelou.client import JelouResource

ENV = VendorEnv(
    vendor="jelou",
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


def resource(environ: Mapping[str, str]) -> JelouResource:
    values = ENV.read(environ)
    return JelouResource(
        base_url=values["JELOU_BASE_URL"],
        username=ENV.env_var("JELOU_USERNAME"),
        password=ENV.env_var("JELOU_PASSWORD"),
        bot_ids=values["JELOU_BOT_IDS"],
        timezone=core_settings(environ).timezone,
        silence_minutes=silence_minutes(environ),
    )


ASSETS = [*RAW_ASSETS, build_normalized(silence_minutes(os.environ))]
__all__ = ["ASSETS", "ENV", "JOBS", "SCHEDULES", "SENSORS", "resource"]
