"""How Neoagent plugs into the code location: its variables, resource and assets."""

from __future__ import annotations

from collections.abc import Mapping

from chat_assets.config import VendorEnv, core_settings
from chat_assets.neoagent.assets import ASSETS
from chat_assets.neoagent.cadence import JOBS, SCHEDULES, SENSORS
from chat_assets.neoagent.client import NeoagentResource

ENV = VendorEnv(
    vendor="neoagent",
    required=("NEOAGENT_API_KEY", "NEOAGENT_SERIAL_NUMBERS"),
    secrets=("NEOAGENT_API_KEY",),
    lists=("NEOAGENT_SERIAL_NUMBERS",),
    urls={"NEOAGENT_BASE_URL": "https://app.neoagent.co"},
    patterns={"NEOAGENT_SERIAL_NUMBERS": (r"[A-Za-z0-9_-]{1,100}", "letters and digits")},
)


def resource(environ: Mapping[str, str]) -> NeoagentResource:
    values = ENV.read(environ)
    core = core_settings(environ)
    return NeoagentResource(
        base_url=values["NEOAGENT_BASE_URL"],
        api_key=ENV.env_var("NEOAGENT_API_KEY"),
        serial_numbers=values["NEOAGENT_SERIAL_NUMBERS"],
        timezone=core.timezone,
        data_dir=core.data_dir,
    )


__all__ = ["ASSETS", "ENV", "JOBS", "SCHEDULES", "SENSORS", "resource"]
