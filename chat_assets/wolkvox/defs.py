"""How Wolkvox plugs into the code location: its variables, resource and assets."""

from __future__ import annotations

from collections.abc import Mapping

from chat_assets.config import VendorEnv, core_settings
from chat_assets.wolkvox.assets import ASSETS
from chat_assets.wolkvox.client import WolkvoxResource

ENV = VendorEnv(
    vendor="wolkvox",
    required=("WOLKVOX_SERVER", "WOLKVOX_TOKEN"),
    secrets=("WOLKVOX_TOKEN",),
    urls={"WOLKVOX_BASE_URL": "https://wv{WOLKVOX_SERVER}.wolkvox.com"},
    timezones={"WOLKVOX_TIMEZONE": None},
)


def resource(environ: Mapping[str, str]) -> WolkvoxResource:
    values = ENV.read(environ)
    return WolkvoxResource(
        base_url=values["WOLKVOX_BASE_URL"],
        server=values["WOLKVOX_SERVER"],
        token=ENV.env_var("WOLKVOX_TOKEN"),
        timezone=values["WOLKVOX_TIMEZONE"],
        data_dir=core_settings(environ).data_dir,
    )


SCHEDULES: list = []
SENSORS: list = []
__all__ = ["ASSETS", "ENV", "SCHEDULES", "SENSORS", "resource"]
