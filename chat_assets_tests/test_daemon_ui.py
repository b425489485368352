"""The real thing: dagster-daemon and dagster-webserver on loopback against the simulator.

A backfill is launched through the webserver's GraphQL API and runs under the daemon (single-run
backfill policies: one run for the whole range); two Wolkvox runs launched at once share the
token through the `wolkvox` pool; headless Chromium (Debian's, driven by Playwright) opens the
asset graph and a partitioned asset's page and saves screenshots under test-artifacts/.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chat_assets.simulator import Simulator, SimulatorConfig

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ARTIFACTS = ROOT / "test-artifacts"
DAYS = ["2025-10-01", "2025-10-02", "2025-10-03"]
pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Stack:
    url: str
    sim: Simulator
    data: Path
    home: Path

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                payload = json.loads(response.read())
        except urllib.error.HTTPError as exc:  # show what the webserver said, not only its status
            raise AssertionError(f"GraphQL answered {exc.code}: {exc.read()[:3000]!r}") from None
        assert "errors" not in payload, payload
        return payload["data"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    base = tmp_path_factory.mktemp("stack")
    home, data = base / "home", base / "data"
    home.mkdir()
    (home / "dagster.yaml").write_text(f"""
storage:
  sqlite:
    base_dir: {base}/storage
run_coordinator:
  module: dagster._core.run_coordinator
  class: QueuedRunCoordinator
concurrency:
  runs:
    max_concurrent_runs: 4
  pools:
    default_limit: 1
telemetry:
  enabled: false
""")
    sim = Simulator(SimulatorConfig(volume=(4, 8), wolkvox_hold_s=0.05)).start()
    inbox = data / "inbox" / "wannabot"
    inbox.mkdir(parents=True)
    for day in DAYS:
        with urllib.request.urlopen(f"{sim.url}/wannabot/_sim/sessions?date={day}") as response:
            sessions = json.loads(response.read())["sessions"]
        (inbox / f"{day}.csv").write_text(
            "session_id,created_at\n" + "".join(f"{s['session_id']},{s['created_at']}\n" for s in sessions)
        )
    env = {**os.environ, **sim.env(), "CHAT_ASSETS_DATA_DIR": str(data), "DAGSTER_HOME": str(home)}
    # Created once before the two processes start: started together on a fresh DAGSTER_HOME they both
    # create the SQLite schedule storage and can stamp its alembic version twice, after which no
    # process can open the instance ("more than one head present", dagster-io/dagster#27390).
    subprocess.run(
        [str(BIN / "dagster"), "instance", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    port = free_port()
    logs = base / "logs"
    logs.mkdir()
    with contextlib.ExitStack() as files:
        daemon_log = files.enter_context(open(logs / "daemon.log", "w"))
        web_log = files.enter_context(open(logs / "webserver.log", "w"))
        procs = [
            subprocess.Popen(
                [str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"],
                cwd=ROOT,
                env=env,
                stdout=daemon_log,
                stderr=subprocess.STDOUT,
            ),
            subprocess.Popen(
                [str(BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"],
                cwd=ROOT,
                env=env,
                stdout=web_log,
                stderr=subprocess.STDOUT,
            ),
        ]
        yield from _serve(procs, port, logs, Stack(f"http://127.0.0.1:{port}", sim, data, home))


def _serve(procs: list[subprocess.Popen], port: int, logs: Path, stack: Stack) -> Iterator[Stack]:
    url, sim = stack.url, stack.sim
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/server_info", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                    raise RuntimeError((logs / "webserver.log").read_text()[-3000:]) from None
                time.sleep(1)
        _wait_for_location(stack, procs, logs)
        yield stack
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        sim.stop()


LOCATIONS = """query { workspaceOrError { __typename ... on Workspace { locationEntries {
  name loadStatus locationOrLoadError { __typename ... on PythonError { message stack causes { message stack } } } } } } }"""
RELOAD = """mutation($name: String!) {
  reloadRepositoryLocation(repositoryLocationName: $name) { __typename }
}"""
#: Every vendor's raw, normalized and derived assets: fewer means the location lost a vendor.
EXPECTED_ASSETS = 31


def _wait_for_location(stack: Stack, procs: list[subprocess.Popen], logs: Path) -> None:
    """Wait until the webserver has loaded `chat_assets` with every vendor, or say why not.

    `/server_info` answers before anything is known about the code location, and a location that
    failed to load only shows as empty asset lists and "job not found" later, so the load error
    (and the processes' logs) are reported here. A load that failed is retried once through the
    webserver's own reload, as an operator would click "Reload"; the first error is kept as a
    warning so it still shows in the test summary.
    """
    first_error: str | None = None
    deadline = time.monotonic() + 240
    while True:
        exited = [" ".join(map(str, p.args[:2])) for p in procs if p.poll() is not None]
        if exited:
            raise RuntimeError(f"{exited} exited while the location loaded:\n{_tails(logs)}")
        entries = stack.graphql(LOCATIONS)["workspaceOrError"].get("locationEntries") or []
        entry = next((e for e in entries if e["name"] == "chat_assets"), None)
        if entry is not None and entry["loadStatus"] == "LOADED":
            error = entry["locationOrLoadError"] or {}
            if error.get("__typename") != "PythonError":
                break
            reason = "\n".join(
                part["message"] + "".join(part.get("stack") or [])[-1500:]
                for part in [error, *(error.get("causes") or [])]
            )
            if first_error is not None:
                raise RuntimeError(
                    f"the code location failed to load twice:\n{first_error}\n{reason}\n{_tails(logs)}"
                )
            first_error = reason
            warnings.warn(f"the code location failed to load once; reloading: {reason}", stacklevel=1)
            stack.graphql(RELOAD, {"name": "chat_assets"})
        if time.monotonic() > deadline:
            raise RuntimeError(f"the code location did not load in 240 s: {entries}\n{_tails(logs)}")
        time.sleep(1)
    assets = stack.graphql(ASSET_KEYS)["assetNodes"]
    if len(assets) != EXPECTED_ASSETS:
        raise RuntimeError(
            f"the code location has {len(assets)} assets, not {EXPECTED_ASSETS}: a vendor is not "
            f"configured in the servers' environment\n{_tails(logs)}"
        )


def _tails(logs: Path) -> str:
    return "\n".join(
        f"== {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(logs.glob("*.log"))
    )


LAUNCH_BACKFILL = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on Error { message }
  }
}"""
BACKFILL_STATUS = """
query($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { status runs(limit: 100) { runId status } }
    ... on Error { message }
  }
}"""
LAUNCH_RUN = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on Error { message }
  }
}"""
RUN_STATUS = """query($id: ID!) {
  runOrError(runId: $id) { __typename ... on Run { status creationTime startTime endTime } }
}"""
ASSET_KEYS = """query { assetNodes { assetKey { path } } }"""


def wait_for(check, timeout: float = 600, every: float = 2.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("timed out")


def test_backfill_through_the_webserver_runs_under_the_daemon(stack: Stack) -> None:
    keys = [node["assetKey"] for node in stack.graphql(ASSET_KEYS)["assetNodes"]]
    launched = stack.graphql(
        LAUNCH_BACKFILL,
        {"params": {"assetSelection": keys, "partitionNames": DAYS, "title": "test backfill"}},
    )["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    backfill_id = launched["backfillId"]

    def done():  # type: ignore[no-untyped-def]
        result = stack.graphql(BACKFILL_STATUS, {"id": backfill_id})["partitionBackfillOrError"]
        return (
            result
            if result["status"] in ("COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED")
            else None
        )

    result = wait_for(done)
    assert result["status"] in ("COMPLETED", "COMPLETED_SUCCESS"), result
    # Single-run backfill policies: a handful of runs for the whole range, never one per day per vendor.
    assert 0 < len(result["runs"]) < len(DAYS) * 5
    assert all(r["status"] == "SUCCESS" for r in result["runs"]), result["runs"]
    import duckdb

    rows = duckdb.sql(
        f"select provider, count(distinct date) from read_parquet('{stack.data}/warehouse/messages/*/*.parquet',"
        " hive_partitioning=true) group by 1 order by 1"
    ).fetchall()
    assert rows == [(p, 3) for p in ("jelou", "multichat", "neoagent", "wannabot", "wolkvox")]
    engagement = duckdb.sql(
        f"select count(*) from read_parquet('{stack.data}/warehouse/engagement_daily/*/*.parquet')"
    )
    assert engagement.fetchone()[0] > 0
    counters = stack.sim.counters()
    assert counters.get("wolkvox_overlaps", 0) == 0 and counters.get("neoagent_rate_violations", 0) == 0


def test_a_vendor_answering_garbage_fails_alone_in_a_ui_backfill(stack: Stack) -> None:
    import dagster as dg

    day = "2025-09-12"
    (stack.data / "inbox" / "wannabot" / f"{day}.csv").write_text("session_id,created_at\n")
    urllib.request.urlopen(f"{stack.sim.url}/_sim/garbage?vendors=multichat").read()
    try:
        keys = [node["assetKey"] for node in stack.graphql(ASSET_KEYS)["assetNodes"]]
        launched = stack.graphql(
            LAUNCH_BACKFILL,
            {"params": {"assetSelection": keys, "partitionNames": [day], "title": "one vendor broken"}},
        )["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched

        def done():  # type: ignore[no-untyped-def]
            result = stack.graphql(BACKFILL_STATUS, {"id": launched["backfillId"]})[
                "partitionBackfillOrError"
            ]
            return (
                result
                if result["status"] in ("COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED")
                else None
            )

        wait_for(done)
    finally:
        urllib.request.urlopen(f"{stack.sim.url}/_sim/garbage?vendors=").read()
    with dg.DagsterInstance.from_config(str(stack.home)) as instance:

        def materialized(key: str) -> bool:
            records = instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=dg.AssetKey.from_user_string(key), asset_partitions=[day]),
                limit=1,
            )
            return bool(records.records)

        for vendor in ("wolkvox", "jelou", "neoagent", "wannabot"):
            for table in ("messages", "conversations", "engagement_daily", "agent_daily", "sentiment_daily"):
                assert materialized(f"{vendor}/{table}"), (vendor, table)
        assert not any(
            materialized(f"multichat/{t}") for t in ("raw", "messages", "conversations", "sentiment_daily")
        )
        failed = instance.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))
        logs = [
            e
            for r in failed
            for e in instance.all_logs(r.dagster_run.run_id)
            if e.dagster_event and e.dagster_event.is_step_failure
        ]
        text = "\n".join(e.dagster_event.step_failure_data.user_failure_data.description for e in logs)
        assert "[multichat]" in text and day in text and "573007735764" in text
        assert {e.step_key.split("__")[0] for e in logs} == {"multichat"}


def test_two_overlapping_wolkvox_runs_never_use_the_token_at_once(stack: Stack) -> None:
    before = stack.sim.counters().get("wolkvox_requests", 0)
    run_ids = []
    for day in ("2025-09-20", "2025-09-21"):
        params = {
            "selector": {
                "repositoryLocationName": "chat_assets",
                "repositoryName": "__repository__",
                "jobName": "wolkvox_job",
            },
            "executionMetadata": {"tags": [{"key": "dagster/partition", "value": day}]},
        }
        launched = stack.graphql(LAUNCH_RUN, {"params": params})["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run_ids.append(launched["run"]["runId"])

    def finished():  # type: ignore[no-untyped-def]
        runs = [stack.graphql(RUN_STATUS, {"id": r})["runOrError"] for r in run_ids]
        return runs if all(r["status"] in ("SUCCESS", "FAILURE", "CANCELED") for r in runs) else None

    runs = wait_for(finished, timeout=300)
    assert [r["status"] for r in runs] == ["SUCCESS", "SUCCESS"]
    # Both were queued before either finished: two Wolkvox runs wanting the token at once.
    assert max(r["creationTime"] for r in runs) < min(r["endTime"] for r in runs)
    counters = stack.sim.counters()
    assert counters["wolkvox_requests"] > before and counters.get("wolkvox_overlaps", 0) == 0


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    chromium() is None and not os.environ.get("CHAT_ASSETS_REQUIRE_BROWSER"),
    reason="Debian's chromium is not installed (make test installs it where it can)",
)
def test_the_ui_shows_vendors_partitions_and_plots(stack: Stack) -> None:
    from playwright.sync_api import sync_playwright

    assert chromium(), "CHAT_ASSETS_REQUIRE_BROWSER is set but chromium is missing"
    ARTIFACTS.mkdir(exist_ok=True)
    args = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=args)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})

        def visit(path: str) -> None:
            page.goto(f"{stack.url}{path}", wait_until="networkidle")
            page.wait_for_timeout(1500)
            skip = page.get_by_role("button", name="Skip")  # the first-visit newsletter dialog
            if skip.count():
                skip.first.click()
                page.wait_for_timeout(500)

        # The asset graph: one group per vendor, its derived tables included.
        visit("/asset-groups")
        for group in ("multichat", "wolkvox", "jelou", "neoagent", "wannabot"):
            page.get_by_text(group, exact=True).first.wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "asset-graph.png"), full_page=True)

        # A partitioned asset: the backfilled days are materialized.
        visit("/assets/wolkvox/messages?view=partitions")
        page.get_by_text("Materialized (", exact=False).first.wait_for(timeout=60_000)
        text = page.inner_text("body")
        materialized = int(text.split("Materialized (", 1)[1].split(")", 1)[0])
        assert materialized >= len(DAYS), text[:500]
        assert "Failed (0)" in text
        page.screenshot(path=str(ARTIFACTS / "wolkvox-messages-partitions.png"), full_page=True)

        # The per-partition metadata plotted across days (Metadata section, "Plots" toggle).
        visit("/assets/jelou/conversations?view=overview")
        toggle = page.get_by_role("button", name="Plots")
        toggle.first.wait_for(timeout=60_000)
        toggle.first.scroll_into_view_if_needed()
        toggle.first.click()
        # By partition, the UI plots the latest partitions; the test backfilled older days, so plot by event.
        page.get_by_role("button", name="Events").first.click()
        charts = page.locator("canvas")
        charts.first.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        assert charts.count() >= 4, charts.count()
        text = page.inner_text("body")
        for name in ("containment_rate", "mean_sentiment", "negative_share", "median_first_response_s"):
            assert name in text, name
        charts.first.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "conversations-plots.png"), full_page=True)
        browser.close()
