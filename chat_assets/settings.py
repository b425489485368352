"""The one configuration every part receives: where data lives and which day a moment belongs to.

`StoreResource` holds CHAT_ASSETS_DATA_DIR and CHAT_ASSETS_TIMEZONE. It is built once, from the
environment, when the code location loads (`settings_from_env`), and the same object is handed to
everything: it is the `store` resource of every asset, schedule and sensor, it is nested inside
each vendor's resource (which reads the zone and the data dir from it rather than keeping copies),
and the partitions and schedules are built from its zone (`partitions.daily(settings.timezone)`).

Why the zone is fixed when the code location loads, not read at run time: a partition set's zone
is part of its identity. Dagster stores materializations by partition key ("2025-10-03") and
computes which keys exist, which are missing and when a schedule ticks from the definition it
loaded; if the zone could change under a running deployment, the same key would name a different
span of hours in different runs, and the daemon and the webserver could disagree about which
day "yesterday" is. Changing CHAT_ASSETS_TIMEZONE is a redeploy (reload the code location), and
data already stored keeps the day boundaries it was written with.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

import dagster as dg

from chat_assets.ratelimit import SharedState, shared_state
from chat_assets.storage import DataStore

DEFAULT_DATA_DIR = "./data"
DEFAULT_TIMEZONE = "America/Bogota"


class StoreResource(dg.ConfigurableResource):
    """The data directory (CHAT_ASSETS_DATA_DIR) and the partition time zone (CHAT_ASSETS_TIMEZONE)."""

    data_dir: str = DEFAULT_DATA_DIR
    timezone: str = DEFAULT_TIMEZONE
    #: CHAT_ASSETS_STATE_URL, where limiter state is shared: empty for files (one machine), else a
    #: postgresql:// URL (several machines). Set through EnvVar: the URL may hold a password.
    state_url: str = ""

    def store(self, redact: Callable[[str], str] | None = None) -> DataStore:
        return DataStore(self.data_dir, redact=redact)

    def shared_state(self) -> SharedState:
        """The limiter state every run and process of this deployment shares."""
        return shared_state(self.data_dir, self.state_url)


def settings_from_env(environ: Mapping[str, str] | None = None) -> StoreResource:
    """The settings of this code location, validated (a bad zone fails the load, naming the variable)."""
    from chat_assets.config import ConfigError, parse_timezone, read

    environ = os.environ if environ is None else environ
    zone = read(environ, "CHAT_ASSETS_TIMEZONE") or DEFAULT_TIMEZONE
    state_url = read(environ, "CHAT_ASSETS_STATE_URL")
    if state_url and not state_url.startswith(("postgresql://", "postgres://", "postgresql+psycopg2://")):
        raise ConfigError(
            "CHAT_ASSETS_STATE_URL must be a postgresql://user:password@host:5432/database URL "
            "(or unset, for state in local files on a single machine)."
        )
    return StoreResource(
        data_dir=read(environ, "CHAT_ASSETS_DATA_DIR") or DEFAULT_DATA_DIR,
        timezone=parse_timezone("CHAT_ASSETS_TIMEZONE", zone),
        state_url=dg.EnvVar("CHAT_ASSETS_STATE_URL") if state_url else "",
    )
