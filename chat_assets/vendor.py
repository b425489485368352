"""What a vendor folder provides to the code location: a `Vendor`, building its own Definitions.

A vendor is its name, the environment variables it reads (`VendorEnv`) and a function that
builds its `dg.Definitions` from the project's settings. `vendors.py` lists them;
`definitions.py` merges the configured ones. `vendor_definitions` is the shape every vendor's
Definitions shares: its assets, its derived tables, its resource, its job and its cadence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import dagster as dg

from chat_assets.analytics.assets import build_derived_assets
from chat_assets.cadence import vendor_job
from chat_assets.config import VendorEnv
from chat_assets.settings import StoreResource


def vendor_definitions(
    name: str,
    settings: StoreResource,
    resource: dg.ConfigurableResource,
    assets: Sequence[dg.AssetsDefinition],
    *,
    schedules: Sequence[dg.ScheduleDefinition] = (),
    sensors: Sequence[dg.SensorDefinition] = (),
) -> dg.Definitions:
    """A vendor's whole code location: its raw and normalized assets, its derived tables, its job and cadence."""
    return dg.Definitions(
        assets=[*assets, *build_derived_assets(name, settings.timezone)],
        resources={"store": settings, name: resource},
        jobs=[vendor_job(name)],
        schedules=schedules,
        sensors=sensors,
    )


@dataclass(frozen=True)
class Vendor:
    """A vendor as the registry knows it."""

    name: str
    env: VendorEnv
    #: The vendor's Definitions, from the project's settings and the (validated) environment.
    build: Callable[[StoreResource, Mapping[str, str]], dg.Definitions]

    def is_configured(self, environ: Mapping[str, str]) -> bool:
        return self.env.is_configured(environ)
