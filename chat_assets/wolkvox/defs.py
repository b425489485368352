"""How Wolkvox plugs into the code location: its variables, resource and assets."""

from __future__ import annotations

from collections.abc import Mapping

from chat_assets.config import VendorEnv, core_settings, env_number
from chat_assets.wolkvox.assets import ASSETS
from chat_assets.wolkvox.cadence import JOBS, SCHEDULES, SENSORS
from chat_assets.wolkvox.client import WolkvoxResource

ENV = VendorEnv(
    vendor="wolkvox",
    required=("WOLKVOX_SERVER", "WOLKVOX_TOKEN"),
    secrets=("WOLKVOX_TOKEN",),
    urls={"WOLKVOX_BASE_URL": "https://wv{WOLKVOX_SERVER}.wolkvox.com"},
    timezones={"WOLKVOX_TIMEZONE": None},
    patterns={"WOLKVOX_SERVER": (r"\d{1,10}", "digits only: it becomes part of the host name wv<server>.wolkvox.com")},
)


def resource(environ: Mapping[str, str]) -> WolkvoxResource:
    values = ENV.read(environ)
    return WolkvoxResource(
        base_url=values["WOLKVOX_BASE_URL"],
        server=values["WOLKVOX_SERVER"],
        token=ENV.env_var("WOLKVOX_TOKEN"),
        timezone=values["WOLKVOX_TIMEZONE"],
        data_dir=core_settings(environ).data_dir,
        daily_quota=int(env_number("WOLKVOX_DAILY_QUOTA", 1000, 1, 10**7, environ)),
    )


__all__ = ["ASSETS", "ENV", "JOBS", "SCHEDULES", "SENSORS", "resource"]
