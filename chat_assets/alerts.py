"""Run-failure alerts: a short message to a Slack-compatible webhook (CHAT_ASSETS_ALERT_WEBHOOK).

When a run fails, the operator should learn which vendor, account and day, what to do, and where
the run is, without opening the UI first. The message is built from the run's step failures,
which already say exactly that (see errors.py); it is passed through a redactor holding every
configured secret before it leaves, and cut to a few thousand characters. The webhook URL is
itself a secret (it lets anyone post), so it is read through EnvVar and never shown.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import dagster as dg
import httpx
from pydantic import Field

from chat_assets.http import Redactor

MAX_CHARS = 3000


class AlertWebhook(dg.ConfigurableResource):
    """Where failure alerts go (CHAT_ASSETS_ALERT_WEBHOOK) and the UI address runs link to."""

    url: str
    #: CHAT_ASSETS_UI_URL: the webserver's address as operators reach it, for the run link.
    ui_url: str = "http://localhost:3000"
    #: Values never to appear in a message (the configured vendor secrets), names resolved at run time.
    secret_names: list[str] = Field(default_factory=list)

    def post(self, text: str) -> None:
        redact = Redactor([os.environ.get(name, "") for name in self.secret_names] + [self.url])
        response = httpx.post(self.url, json={"text": redact(text)[:MAX_CHARS]}, timeout=10)
        response.raise_for_status()


def failure_message(context: dg.RunFailureSensorContext, ui_url: str) -> str:
    run = context.dagster_run
    tags = run.tags
    days = tags.get("dagster/partition") or (
        f"{tags['dagster/asset_partition_range_start']}..{tags['dagster/asset_partition_range_end']}"
        if "dagster/asset_partition_range_start" in tags
        else "no partition"
    )
    lines = [f":red_circle: chat_assets run failed: {run.job_name} ({days})"]
    for event in context.get_step_failure_events():
        data = event.step_failure_data
        user = data.user_failure_data if data else None
        text = (user.description if user and user.description else None) or (
            data.error.message if data and data.error else "no description"
        )
        lines.append(f"- {event.step_key}: {text.strip()}")
    if len(lines) == 1:  # failed before any step (launch, config): the run's own failure says why
        lines.append(f"- {context.failure_event.message or 'see the run'}")
    lines.append(f"Run: {ui_url.rstrip('/')}/runs/{run.run_id}")
    return "\n".join(lines)


def alert_sensor() -> dg.SensorDefinition:
    @dg.run_failure_sensor(
        name="alert_on_run_failure",
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Posts vendor, account, day, what to do and the run link to CHAT_ASSETS_ALERT_WEBHOOK.",
    )
    def alert_on_run_failure(context: dg.RunFailureSensorContext, alert_webhook: AlertWebhook) -> None:
        alert_webhook.post(failure_message(context, alert_webhook.ui_url))

    return alert_on_run_failure


def alert_definitions(environ: Mapping[str, str], secret_names: list[str]) -> dg.Definitions:
    """The sensor and its resource, when CHAT_ASSETS_ALERT_WEBHOOK is set; nothing otherwise."""
    from chat_assets.config import parse_url, read

    url = read(environ, "CHAT_ASSETS_ALERT_WEBHOOK")
    if not url:
        return dg.Definitions()
    parse_url("CHAT_ASSETS_ALERT_WEBHOOK", url)
    ui_url = read(environ, "CHAT_ASSETS_UI_URL") or "http://localhost:3000"
    webhook = AlertWebhook(
        url=dg.EnvVar("CHAT_ASSETS_ALERT_WEBHOOK"),
        ui_url=parse_url("CHAT_ASSETS_UI_URL", ui_url),
        secret_names=secret_names,
    )
    return dg.Definitions(sensors=[alert_sensor()], resources={"alert_webhook": webhook})
