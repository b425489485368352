"""The Dagster code location: every configured vendor's assets, resources and cadence.

A vendor appears when its credentials are set (see .env.example); one that is not configured
is simply absent and never breaks the others. `dagster dev` and `dagster asset materialize -m
chat_assets.definitions` load `defs` from here.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping

import dagster as dg

from chat_assets import vendors
from chat_assets.analytics.assets import LAYER_TAG, build_derived_assets
from chat_assets.cadence import analytics_automation_sensor
from chat_assets.config import core_settings
from chat_assets.vendor_assets import StoreResource

# BackfillPolicy and partition-mapping options are "beta" in Dagster 1.13 yet the idiom this project
# is built on; the warning would repeat in every run's logs without telling an operator anything.
warnings.filterwarnings("ignore", category=dg.BetaWarning)


def configured_vendors(environ: Mapping[str, str] | None = None) -> list[str]:
    environ = os.environ if environ is None else environ
    return [v for v in vendors.VENDORS if vendors.module(v, "defs").ENV.is_configured(environ)]


def build_definitions(environ: Mapping[str, str] | None = None) -> dg.Definitions:
    environ = os.environ if environ is None else environ
    core = core_settings(environ)
    resources: dict[str, object] = {"store": StoreResource(data_dir=core.data_dir, timezone=core.timezone)}
    assets: list = []
    jobs: list = []
    schedules: list = []
    sensors: list = []
    for vendor in configured_vendors(environ):
        module = vendors.module(vendor, "defs")
        resources[vendor] = module.resource(environ)
        assets.extend(module.ASSETS)
        assets.extend(build_derived_assets(vendor))
        jobs.extend(module.JOBS)
        schedules.extend(module.SCHEDULES)
        sensors.extend(module.SENSORS)
    if assets:
        (layer, value), = LAYER_TAG.items()
        sensors.append(analytics_automation_sensor(dg.AssetSelection.tag(layer, value)))
    return dg.Definitions(assets=assets, resources=resources, jobs=jobs, schedules=schedules, sensors=sensors)


defs = build_definitions()
