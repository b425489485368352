"""The configuration contract: how environment variables are read and validated.

The project-wide settings (data dir, zone) become `settings.StoreResource`; each vendor declares
its variables in its `defs.py` as a `VendorEnv`, read here.

Values are validated once, with errors that name the variable and say what a good value looks
like. A vendor is *configured* when its credentials are set; a vendor that is not configured is
simply absent, never an error for the others. Secrets are never read into Dagster config:
resources receive `dg.EnvVar` references (see `VendorEnv.env_var`), so the UI shows names only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dagster as dg

from chat_assets.errors import ConfigError


def read(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def parse_timezone(name: str, value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{name}={value!r} is not a known IANA time zone; use a name like 'America/Bogota' or 'UTC'."
        ) from None
    return value


def parse_list(name: str, value: str) -> list[str]:
    items = [item.strip() for item in value.split(",")]
    items = [item for item in items if item]
    if not items:
        raise ConfigError(
            f"{name} is set but lists no account; give comma-separated ids, e.g. '573001112233'."
        )
    if len(set(items)) != len(items):
        raise ConfigError(f"{name} lists an account twice: {value!r}.")
    return items


def parse_url(name: str, value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ConfigError(f"{name}={value!r} is not an http(s) URL.")
    return value.rstrip("/") if not value.endswith("/report/") else value


@dataclass(frozen=True)
class VendorEnv:
    """Which variables a vendor reads, declared by the vendor's folder and read here.

    `required` are the credentials whose presence makes the vendor configured; `secrets` are the
    ones never to be shown; `lists` are comma-separated account lists; `urls` maps a base-URL
    variable to its default (a format string over other variables, e.g. Wolkvox's server).
    """

    vendor: str
    required: tuple[str, ...]
    secrets: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()
    urls: Mapping[str, str] = field(default_factory=dict)
    #: Optional zone variables of the vendor; unset means the project's zone.
    timezones: tuple[str, ...] = ()
    #: Variable -> (regular expression every account value must match, what the vendor allows).
    patterns: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def is_configured(self, environ: Mapping[str, str] | None = None) -> bool:
        environ = os.environ if environ is None else environ
        return all(read(environ, name) for name in self.required)

    def read(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """Validated values of every variable (secrets included, for building clients only)."""
        environ = os.environ if environ is None else environ
        missing = [name for name in self.required if not read(environ, name)]
        if missing:
            raise ConfigError(
                f"{self.vendor} is not configured: set {', '.join(missing)} (see .env.example)."
            )
        values: dict[str, str] = {name: read(environ, name) or "" for name in self.required}
        for name in self.lists:
            raw = read(environ, name)
            if raw is None:
                raise ConfigError(f"{self.vendor}: {name} must list at least one account.")
            values[name] = ",".join(parse_list(name, raw))
        for name, (pattern, allowed) in self.patterns.items():
            for item in values[name].split(","):
                if not re.fullmatch(pattern, item):
                    raise ConfigError(
                        f"{name}: {item[:40]!r} is not a valid {self.vendor} account ({allowed})."
                    )
        for name, default in self.urls.items():
            raw = read(environ, name)
            values[name] = parse_url(name, raw if raw else default.format(**values))
        for name in self.timezones:
            raw = read(environ, name)
            # Empty means "the project's zone" (CHAT_ASSETS_TIMEZONE), which the settings hold.
            values[name] = parse_timezone(name, raw) if raw else ""
        return values

    def env_var(self, name: str) -> dg.EnvVar:
        """A reference Dagster resolves at run time, so the UI shows the name, not the value."""
        return dg.EnvVar(name)


def env_number(
    name: str, default: float, low: float, high: float, environ: Mapping[str, str] | None = None
) -> float:
    """A numeric setting with a clear error when it is not a number in [low, high]."""
    environ = os.environ if environ is None else environ
    raw = read(environ, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number.") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={raw!r} must be between {low:g} and {high:g}.")
    return value
