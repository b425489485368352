"""The production deployment, for real but without Docker: PostgreSQL, a code server, the daemon and
the webserver as processes; limiter state shared through PostgreSQL; the data dir on an S3 API.

PostgreSQL is a temporary cluster from Debian's packages and S3 is moto's server, both on loopback
(see services.py). The instance is deploy/dagster.yaml and the workspace deploy/workspace.yaml,
used as operators use them (copied to DAGSTER_HOME, configured by environment variables).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from chat_assets.simulator import Simulator, SimulatorConfig
from chat_assets.storage import DataStore
from chat_assets_tests.ground_truth import roles, wolkvox_spillover
from chat_assets_tests.services import postgres, s3_env, s3_server
from chat_assets_tests.test_daemon_ui import (
    ASSET_KEYS,
    BACKFILL_STATUS,
    LAUNCH_BACKFILL,
    Stack,
    free_port,
    wait_for,
)

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with postgres() as url:
        yield url


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with s3_server() as url:
        yield url


def sql(url: str, query: str) -> list[tuple]:
    import psycopg2

    with contextlib.closing(psycopg2.connect(url)) as conn, conn.cursor() as cur:
        cur.execute(query)
        return cur.fetchall()


def registry(sim: Simulator, store: DataStore, days: list[str]) -> None:
    """The Wannabot session registry of `days`, written where the sensor and the raw asset read it."""
    for day in days:
        with urllib.request.urlopen(f"{sim.url}/wannabot/_sim/sessions?date={day}") as response:
            sessions = json.loads(response.read())["sessions"]
        lines = ["session_id,created_at", *(f"{s['session_id']},{s['created_at']}" for s in sessions)]
        store.write_bytes(f"inbox/wannabot/{day}.csv", ("\n".join(lines) + "\n").encode())


def assert_warehouse_right(store: DataStore, config: SimulatorConfig, days: list[str]) -> None:
    """Every message once, with the roles the simulator served, for every vendor and day."""
    for vendor in ("multichat", "wolkvox", "jelou", "neoagent", "wannabot"):
        for day in days:
            table = store.read_table("messages", day, vendor)
            assert table is not None and table.num_rows, (vendor, day)
            ids = table.select(["account", "message_id"]).to_pylist()
            assert len(ids) == len({(r["account"], r["message_id"]) for r in ids}), (vendor, day)
            if vendor == "wannabot":
                continue  # its sessions come from the registry, not from accounts
            got: dict[str, Counter[str]] = {}
            for row in (
                table.group_by(["account", "sender_role"]).aggregate([("message_id", "count")]).to_pylist()
            ):
                got.setdefault(row["account"], Counter())[row["sender_role"]] = row["message_id_count"]
            for account in config.accounts[vendor]:
                expected = roles(config, vendor, account, day)
                if vendor == "wolkvox" and day == days[0]:
                    expected += wolkvox_spillover(config, account, day)
                assert got.get(account, Counter()) == expected, (vendor, account, day)


# -- shared limiter state -------------------------------------------------------------------


def _hammer(url: str, key: str, calls: int, out: multiprocessing.Queue) -> None:
    from chat_assets.pgstate import PostgresState

    state = PostgresState(url)
    limiter, counter, lock = state.window(key, 3, 1.0, 0.3), state.counter(key), state.lock(key)
    grants, stamps, inside = [], [], []
    for _ in range(calls):
        limiter.acquire()
        grants.append(limiter.granted_at)
        stamps.append(time.time())
        counter.add("2025-10-03")
        with lock.hold():
            inside.append((time.time(), None))
            time.sleep(0.01)
            inside[-1] = (inside[-1][0], time.time())
    out.put((grants, stamps, inside))


def test_postgres_limiters_hold_across_processes(pg_url: str) -> None:
    """Three processes, one key: never more than 3 calls in any second, one lock holder, every use counted."""
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_hammer, args=(pg_url, "test-key", 5, out)) for _ in range(3)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    # The guarantee is on the grants, by the database's clock: 3 in any 1.3 s (1 s plus the margin).
    # The processes' own stamps follow each grant by a commit and a return, which took up to 0.45 s
    # on a loaded CI machine, so they only show that no call came before its grant.
    grants = sorted(t for g, _, _ in results for t in g)
    assert len(grants) == 15
    assert all(grants[i + 3] - grants[i] >= 1.3 - 1e-6 for i in range(len(grants) - 3)), grants
    assert all(s >= g - 0.05 for g_, s_, _ in results for g, s in zip(g_, s_, strict=True))
    spans = sorted(span for _, _, inside in results for span in inside)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), "two processes held the lock at once"
    from chat_assets.pgstate import PostgresState

    assert PostgresState(pg_url).counter("test-key").get("2025-10-03") == 15
    assert sql(pg_url, "select count(*) from chat_assets_counters")[0][0] >= 1


def test_two_instances_share_the_vendor_limits_through_postgres(pg_url: str, tmp_path: Path) -> None:
    """Two CLI runs, separate Dagster instances and data dirs, one CHAT_ASSETS_STATE_URL, at the same time."""
    days = ("2025-10-01", "2025-10-04")
    config = SimulatorConfig(volume=(2, 3), neoagent_max_days=2, wolkvox_hold_s=0.05)
    with Simulator(config) as sim:
        procs = []
        for name in ("a", "b"):
            home = tmp_path / name / "home"
            home.mkdir(parents=True)
            (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
            env = {
                **os.environ,
                **sim.env(),
                "DAGSTER_HOME": str(home),
                "CHAT_ASSETS_DATA_DIR": str(tmp_path / name / "data"),
                "CHAT_ASSETS_STATE_URL": pg_url,
            }
            command = [str(BIN / "dagster"), "asset", "materialize", "-m", "chat_assets.definitions"]
            command += ["--select", "neoagent/raw,wolkvox/raw", "--partition-range", f"{days[0]}...{days[1]}"]
            procs.append(
                subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            )
        outputs = [p.communicate(timeout=400)[0].decode(errors="replace") for p in procs]
        assert [p.returncode for p in procs] == [0, 0], "\n".join(o[-3000:] for o in outputs)
        counters = sim.counters()
    # 10 Neoagent requests a minute and one Wolkvox caller held across both processes.
    assert counters.get("neoagent_requests", 0) > 10  # enough calls that two unshared limiters would break it
    assert counters.get("neoagent_rate_violations", 0) == 0, counters
    assert counters.get("wolkvox_overlaps", 0) == 0 and counters.get("wolkvox_quota_exceeded", 0) == 0, (
        counters
    )
    # The daily quota counter saw both processes' uses, in one place.
    from chat_assets.pgstate import PostgresState
    from chat_assets.wolkvox.client import uses_counter

    today = datetime.now(ZoneInfo("America/Bogota")).date().isoformat()
    assert uses_counter(PostgresState(pg_url), "0042").get(today) == counters["wolkvox_requests"]
    tables = {
        row[0] for row in sql(pg_url, "select tablename from pg_tables where tablename like 'chat_assets_%'")
    }
    assert tables == {"chat_assets_calls", "chat_assets_counters"}
    assert pg_url.split(":")[2].split("@")[0] not in "\n".join(
        outputs
    )  # the state URL's password never logged


# -- the production topology ----------------------------------------------------------------


def test_production_topology_backfill_on_postgres(pg_url: str, tmp_path: Path) -> None:
    """Code server, daemon and webserver on deploy/dagster.yaml + deploy/workspace.yaml; a UI backfill."""
    days = ["2025-10-01", "2025-10-02"]
    home, data, logs = tmp_path / "home", tmp_path / "data", tmp_path / "logs"
    for folder in (home, logs):
        folder.mkdir()
    shutil.copy(ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    sim = Simulator(SimulatorConfig(volume=(3, 5), wolkvox_hold_s=0.02)).start()
    registry(sim, DataStore(str(data)), days)
    grpc_port, web_port = free_port(), free_port()
    env = {
        **os.environ,
        **sim.env(),
        "DAGSTER_HOME": str(home),
        "DAGSTER_POSTGRES_URL": pg_url,
        "DAGSTER_CODE_SERVER_HOST": "127.0.0.1",
        "DAGSTER_CODE_SERVER_PORT": str(grpc_port),
        "CHAT_ASSETS_DATA_DIR": str(data),
        "CHAT_ASSETS_STATE_URL": pg_url,
    }
    commands = {
        "code-server": [str(BIN / "dagster"), "code-server", "start", "-h", "127.0.0.1", "-p", str(grpc_port),
                        "-m", "chat_assets.definitions", "--location-name", "chat_assets"],
        "daemon": [str(BIN / "dagster-daemon"), "run", "-w", str(ROOT / "deploy" / "workspace.yaml")],
        "webserver": [str(BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(web_port),
                      "-w", str(ROOT / "deploy" / "workspace.yaml")],
    }  # fmt: skip
    with contextlib.ExitStack() as files:
        procs = []
        for name, command in commands.items():
            log = files.enter_context(open(logs / f"{name}.log", "w"))
            procs.append(
                subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
            )
            if name == "code-server":  # the others load the location from it
                wait_for(lambda: _listening(grpc_port) or procs[0].poll() is not None, timeout=120, every=0.5)
                assert procs[0].poll() is None, (logs / "code-server.log").read_text()[-3000:]
        from chat_assets_tests.test_daemon_ui import _serve

        served = _serve(procs, web_port, logs, Stack(f"http://127.0.0.1:{web_port}", sim, data, home))
        stack = next(served)
        try:
            started = time.monotonic()
            keys = [node["assetKey"] for node in stack.graphql(ASSET_KEYS)["assetNodes"]]
            assert len(keys) == 31
            launched = stack.graphql(
                LAUNCH_BACKFILL, {"params": {"assetSelection": keys, "partitionNames": days, "title": "prod"}}
            )["launchPartitionBackfill"]
            assert launched["__typename"] == "LaunchBackfillSuccess", launched

            def done():  # type: ignore[no-untyped-def]
                result = stack.graphql(BACKFILL_STATUS, {"id": launched["backfillId"]})[
                    "partitionBackfillOrError"
                ]
                finished = ("COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED")
                return result if result["status"] in finished else None

            result = wait_for(done, timeout=600)
            elapsed = time.monotonic() - started
            assert result["status"] in ("COMPLETED", "COMPLETED_SUCCESS"), (result, _tail(logs))
            assert all(r["status"] == "SUCCESS" for r in result["runs"]), result["runs"]
            print(f"production topology: backfill of {len(days)} days x 31 assets took {elapsed:.1f} s")
            counters = sim.counters()
        finally:
            with contextlib.suppress(StopIteration):
                next(served)
    # Everything Dagster knows is in PostgreSQL: the runs, the materializations, the pools.
    run_ids = {r["runId"] for r in result["runs"]}
    stored = {row[0] for row in sql(pg_url, "select run_id from runs where status = 'SUCCESS'")}
    assert run_ids <= stored
    materialized = sql(
        pg_url,
        "select count(distinct (asset_key, partition)) from event_logs "
        "where dagster_event_type = 'ASSET_MATERIALIZATION'",
    )[0][0]
    assert materialized == 31 * len(days)
    pools = dict(sql(pg_url, "select concurrency_key, count(*) from concurrency_slots group by 1"))
    assert pools.get("wolkvox") == 1 and pools.get("neoagent") == 1, pools
    assert not list(home.rglob("*.db"))  # no SQLite anywhere: compute logs are the only local files
    assert_warehouse_right(DataStore(str(data)), sim.config, days)
    assert counters.get("wolkvox_overlaps", 0) == 0 and counters.get("neoagent_rate_violations", 0) == 0


def _listening(port: int) -> bool:
    import socket

    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


def _tail(logs: Path) -> str:
    return "\n".join(f"== {p.name}\n{p.read_text()[-2000:]}" for p in sorted(logs.glob("*.log")))


# -- the data dir on an object store --------------------------------------------------------


def _bucket(endpoint: str, name: str) -> str:
    import s3fs

    fs = s3fs.S3FileSystem(key="testing", secret="testing-secret-4d1e", endpoint_url=endpoint)
    if not fs.exists(name):
        fs.mkdir(name)
    return f"s3://{name}/chat_assets"


def test_s3_data_dir_end_to_end_read_back_with_duckdb(
    s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole materialization on s3:// through the CLI equals the same on a local disk, read with DuckDB."""
    days = ["2025-10-02", "2025-10-03"]
    data_url = _bucket(s3_endpoint, "warehouse-e2e")
    for name, value in s3_env(s3_endpoint).items():
        monkeypatch.setenv(name, value)
    with Simulator(SimulatorConfig(volume=(3, 5), wolkvox_hold_s=0.0)) as sim:
        outputs = {}
        for where, data_dir in (("local", str(tmp_path / "data")), ("s3", data_url)):
            registry(sim, DataStore(data_dir), days)
            home = tmp_path / where
            home.mkdir()
            (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
            env = {**os.environ, **sim.env(), "DAGSTER_HOME": str(home), "CHAT_ASSETS_DATA_DIR": data_dir}
            started = time.monotonic()
            run = subprocess.run(
                [str(BIN / "dagster"), "asset", "materialize", "-m", "chat_assets.definitions", "--select", "*",
                 "--partition-range", f"{days[0]}...{days[-1]}"],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
            )  # fmt: skip
            assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
            outputs[where] = time.monotonic() - started
        print(f"s3 vs local materialization: {outputs['s3']:.1f} s vs {outputs['local']:.1f} s")
        assert_warehouse_right(DataStore(data_url), sim.config, days)
    import duckdb
    import s3fs

    con = duckdb.connect()
    con.register_filesystem(
        s3fs.S3FileSystem(key="testing", secret="testing-secret-4d1e", endpoint_url=s3_endpoint)
    )
    query = (
        "select provider, date, count(*) as n, count(distinct conversation_id) as c, sum(length(text)) as t "
        "from read_parquet('{root}/warehouse/messages/*/*.parquet', hive_partitioning=true) group by all order by all"
    )
    remote = con.sql(query.format(root=data_url)).fetchall()
    local = con.sql(query.format(root=tmp_path / "data")).fetchall()
    assert remote == local and len(remote) == 5 * len(days)
    # The analyst's entry point reads the object store the same way (the AWS_* variables set above).
    sql = "select provider, date::varchar as day, count(*) as n from messages group by all order by all"
    answers = {}
    for where, data_dir in (("local", str(tmp_path / "data")), ("s3", data_url)):
        cli = subprocess.run(
            [sys.executable, "-m", "chat_assets.query", "--data-dir", data_dir, "--format", "json", sql],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert cli.returncode == 0, cli.stderr
        assert "testing-secret-4d1e" not in cli.stdout + cli.stderr
        answers[where] = cli.stdout.splitlines()
    assert answers["s3"] == answers["local"] and len(answers["s3"]) == 5 * len(days)
    # Object-store layout: each fetch's files in their version folder, the manifest naming it.
    store = DataStore(data_url)
    manifest = store.raw_manifest("jelou", days[0], sim.config.accounts["jelou"][0])
    assert manifest and manifest["complete"] and manifest["files_dir"].startswith("v-")


def _fetch_jelou(data_dir: str, sim_url: str, bot: str, env: dict[str, str], ready) -> None:  # type: ignore[no-untyped-def]
    os.environ.update(env)
    from chat_assets.jelou.client import JelouClient
    from chat_assets.jelou.normalize import normalize_one
    from chat_assets.normalized_asset import NormalizeInput
    from chat_assets_tests.test_crash_safety import DAY, TZ

    store = DataStore(data_dir)
    client = JelouClient(
        f"{sim_url}/jelou", "chat-assets", SimulatorConfig().credentials["JELOU_PASSWORD"], TZ
    )
    ready.set()
    with store.raw_fetch("jelou", DAY, bot, client.describe(DAY, bot), redact=client.redact) as fetch:
        client.fetch_day(fetch, DAY, bot)
    inp = NormalizeInput(store, "jelou", DAY, bot, store.raw_manifest("jelou", DAY, bot) or {}, TZ)
    store.write_table("messages", DAY, "jelou", normalize_one(inp)["messages"])


def _consistent(store: DataStore, bot: str) -> tuple[str, int]:
    from chat_assets_tests.test_crash_safety import DAY

    manifest = store.raw_manifest("jelou", DAY, bot)
    assert manifest is not None and manifest["complete"], "the stored day lost its complete manifest"
    raw_dir = store.raw_dir("jelou", DAY, bot)
    for entry in manifest["files"]:
        data = store.read_bytes(store.raw_file(raw_dir, manifest, entry))
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], (
            f"{entry['name']} does not match its manifest"
        )
    table = store.read_table("messages", DAY, "jelou")
    assert table is not None
    return hashlib.sha256(
        "".join(sorted(f["sha256"] for f in manifest["files"])).encode()
    ).hexdigest(), table.num_rows


def test_s3_kill_mid_promotion_leaves_the_old_or_the_new_version(
    s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGKILL at random points of a fetch and its promotion on s3://: the day stays whole."""
    data_url = _bucket(s3_endpoint, "kill-test")
    env = s3_env(s3_endpoint)
    old_sim = Simulator(SimulatorConfig(seed=7, volume=(60, 80))).start()
    new_sim = Simulator(SimulatorConfig(seed=8, volume=(60, 80))).start()
    bot = old_sim.config.accounts["jelou"][0]
    ctx = multiprocessing.get_context("spawn")

    def run(sim: Simulator, kill_after: float | None = None) -> float:
        ready = ctx.Event()
        process = ctx.Process(target=_fetch_jelou, args=(data_url, sim.url, bot, env, ready))
        started = time.monotonic()
        process.start()
        assert ready.wait(60)
        if kill_after is not None:
            time.sleep(kill_after)
            process.kill()
        process.join(120)
        assert kill_after is not None or process.exitcode == 0
        return time.monotonic() - started

    try:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        store = DataStore(data_url)
        duration = run(old_sim)
        old = _consistent(store, bot)
        rng = random.Random(20261201)
        seen = []
        for _ in range(6):
            run(new_sim, kill_after=rng.uniform(duration * 0.3, duration * 1.05))
            seen.append(_consistent(store, bot))
        run(new_sim)
        new = _consistent(store, bot)
        assert new[0] != old[0]
        assert {raw for raw, _ in seen} <= {old[0], new[0]}
        assert {rows for _, rows in seen} <= {old[1], new[1]}
    finally:
        old_sim.stop()
        new_sim.stop()
