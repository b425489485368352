"""Run-failure alerts reach a Slack-compatible webhook: vendor, account, day, what to do, the run link."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import pytest

from chat_assets.definitions import build_definitions
from chat_assets.simulator import Simulator
from chat_assets_tests.conftest import materialize, use_env

DAY = "2025-10-03"


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict]]]:
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/T000/B000/XXXX-hook-secret", received
    server.shutdown()


def test_a_failed_run_posts_what_failed_and_what_to_do_without_secrets(
    sim: Simulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    instance: dg.DagsterInstance,
    receiver: tuple[str, list[dict]],
) -> None:
    url, received = receiver
    env = {
        **sim.env(),
        "CHAT_ASSETS_DATA_DIR": str(tmp_path / "data"),
        "JELOU_PASSWORD": "wrong-password-123",
        "CHAT_ASSETS_ALERT_WEBHOOK": url,
        "CHAT_ASSETS_UI_URL": "https://dagster.example.com",
    }
    use_env(monkeypatch, env)
    defs = build_definitions(env)
    sensor = defs.resolve_sensor_def("alert_on_run_failure")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert url not in repr(defs.resources["alert_webhook"])  # the webhook is a secret: EnvVar only
    result = materialize(defs, "jelou/raw", DAY, instance=instance, raise_on_error=False)
    assert not result.success
    run = instance.get_run_by_id(result.run_id)
    failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
    with dg.build_run_status_sensor_context(
        sensor_name="alert_on_run_failure",
        dagster_instance=instance,
        dagster_run=run,
        dagster_event=failure,
        resources=defs.resources,
    ) as context:
        sensor(context.for_run_failure())
    [message] = received
    text = message["text"]
    assert "jelou" in text and DAY in text and "bad credentials" in text and "JELOU_PASSWORD" in text
    assert f"https://dagster.example.com/runs/{result.run_id}" in text
    for secret in ("wrong-password-123", "XXXX-hook-secret", sim.env()["WOLKVOX_TOKEN"]):
        assert secret not in text


def test_no_webhook_no_alert_sensor(sim: Simulator) -> None:
    defs = build_definitions(sim.env())
    assert "alert_on_run_failure" not in {s.name for s in defs.sensors or []}
