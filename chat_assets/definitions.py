"""The Dagster code location: every configured vendor's own Definitions, merged.

A vendor appears when its credentials are set (see .env.example); one that is not configured
is simply absent and never breaks the others. The settings (data dir, zone) are read once here
and handed to every vendor. `dagster dev`, `dg check defs` and `dagster asset materialize -m
chat_assets.definitions` load `defs` from here.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping

import dagster as dg

from chat_assets import execution
from chat_assets.alerts import alert_definitions
from chat_assets.analytics.assets import LAYER_TAG
from chat_assets.cadence import analytics_automation_sensor
from chat_assets.settings import settings_from_env
from chat_assets.vendors import VENDORS

# BackfillPolicy and partition-mapping options are "beta" in Dagster 1.13 yet the idiom this project
# is built on; the warning would repeat in every run's logs without telling an operator anything.
warnings.filterwarnings("ignore", category=dg.BetaWarning)


def configured_vendors(environ: Mapping[str, str] | None = None) -> list[str]:
    environ = os.environ if environ is None else environ
    return [vendor.name for vendor in VENDORS if vendor.is_configured(environ)]


def build_definitions(environ: Mapping[str, str] | None = None) -> dg.Definitions:
    environ = os.environ if environ is None else environ
    settings = settings_from_env(environ)
    per_vendor = [vendor.build(settings, environ) for vendor in VENDORS if vendor.is_configured(environ)]
    ((layer, value),) = LAYER_TAG.items()
    # The normalized and derived tables of every vendor, kept up to date by one sensor that selects
    # them by tag: they follow each day their inputs gained, even when that day's run failed elsewhere.
    followers = dg.AssetSelection.tag(layer, value) | dg.AssetSelection.tag(layer, "normalized")
    shared = dg.Definitions(
        sensors=[analytics_automation_sensor(followers)] if per_vendor else [],
        resources={"store": settings},
        executor=execution.run_executor(),
    )
    # The vendors' secrets (and the state URL, which may hold a password) never reach an alert.
    secrets = [name for vendor in VENDORS for name in vendor.env.secrets] + ["CHAT_ASSETS_STATE_URL"]
    return dg.Definitions.merge(shared, alert_definitions(environ, secrets), *per_vendor)


defs = build_definitions()
