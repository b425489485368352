"""How Contacto Multichat plugs into the code location: its variables, resource and assets."""

from __future__ import annotations

from collections.abc import Mapping

from chat_assets.config import VendorEnv, core_settings
from chat_assets.multichat.assets import ASSETS
from chat_assets.multichat.cadence import JOBS, SCHEDULES, SENSORS
from chat_assets.multichat.client import MultichatResource
from chat_assets.multichat.columns import parse_override

ENV = VendorEnv(
    vendor="multichat",
    required=("MULTICHAT_LOGIN", "MULTICHAT_TOKEN", "MULTICHAT_NUMBERS"),
    secrets=("MULTICHAT_TOKEN",),
    lists=("MULTICHAT_NUMBERS",),
    urls={"MULTICHAT_BASE_URL": "https://contacto-multichat.com/bot/chat_wa/ws/report/"},
    patterns={"MULTICHAT_NUMBERS": (r"\d{6,20}", "the line number in digits, country code first")},
)


def resource(environ: Mapping[str, str]) -> MultichatResource:
    values = ENV.read(environ)
    return MultichatResource(
        base_url=values["MULTICHAT_BASE_URL"],
        login=ENV.env_var("MULTICHAT_LOGIN"),
        token=ENV.env_var("MULTICHAT_TOKEN"),
        numbers=values["MULTICHAT_NUMBERS"],
        timezone=core_settings(environ).timezone,
        columns=_columns(environ),
    )


def _columns(environ: Mapping[str, str]) -> str:
    """MULTICHAT_COLUMNS, validated now so a typo fails when the code location loads, not at 6 a.m."""
    value = (environ.get("MULTICHAT_COLUMNS") or "").strip()
    parse_override(value)
    return value


__all__ = ["ASSETS", "ENV", "JOBS", "SCHEDULES", "SENSORS", "resource"]
