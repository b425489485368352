"""How Wannabot plugs into the code location: its variables, resource and assets."""

from __future__ import annotations

from collections.abc import Mapping

from chat_assets.config import VendorEnv, core_settings
from chat_assets.wannabot.assets import ASSETS
from chat_assets.wannabot.cadence import JOBS, SCHEDULES, SENSORS
from chat_assets.wannabot.client import WannabotResource

ENV = VendorEnv(
    vendor="wannabot",
    required=("WANNABOT_API_KEY",),
    secrets=("WANNABOT_API_KEY",),
    urls={"WANNABOT_BASE_URL": "https://api.wannabot.io"},
)


def resource(environ: Mapping[str, str]) -> WannabotResource:
    values = ENV.read(environ)
    return WannabotResource(
        base_url=values["WANNABOT_BASE_URL"],
        api_key=ENV.env_var("WANNABOT_API_KEY"),
        timezone=core_settings(environ).timezone,
    )


__all__ = ["ASSETS", "ENV", "JOBS", "SCHEDULES", "SENSORS", "resource"]
