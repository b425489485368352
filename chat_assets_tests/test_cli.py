"""The CLI as a user runs it: subprocesses, a persistent SQLite instance, the warehouse read back."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from chat_assets.simulator import Simulator, SimulatorConfig

ROOT = Path(__file__).resolve().parent.parent
DAGSTER = str(Path(sys.executable).parent / "dagster")
pytestmark = pytest.mark.e2e


def instance_home(tmp_path: Path) -> Path:
    """A DAGSTER_HOME like the repo's dagster.yaml, with storage under the test's folder."""
    home = tmp_path / "home"
    home.mkdir()
    config = (ROOT / "dagster.yaml").read_text().replace("data/dagster", str(tmp_path / "dagster"))
    (home / "dagster.yaml").write_text(config)
    return home


def test_simulator_module_prints_its_url_and_env() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "chat_assets.simulator", "--port", "0", "--volume", "1-2"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        assert first.startswith("SIMULATOR_URL=http://127.0.0.1:")
        lines = [process.stdout.readline().strip() for _ in range(17)]
        names = {line.split("=", 1)[0] for line in lines}
        assert {
            "MULTICHAT_BASE_URL",
            "WOLKVOX_TOKEN",
            "JELOU_BOT_IDS",
            "NEOAGENT_API_KEY",
            "WANNABOT_API_KEY",
        } <= names
        with urllib.request.urlopen(first.split("=", 1)[1] + "/_sim/counters", timeout=10) as response:
            assert json.loads(response.read()) == {}
    finally:
        process.terminate()
        process.wait(10)


def test_code_location_loads_as_dagster_dev_loads_it(tmp_path: Path) -> None:
    with Simulator(SimulatorConfig(volume=(1, 1))) as sim:
        env = {**os.environ, **sim.env(), "DAGSTER_HOME": str(instance_home(tmp_path))}
        result = subprocess.run(
            [DAGSTER, "definitions", "validate", "-w", "workspace.yaml"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "chat_assets" in result.stdout + result.stderr


def test_cli_partition_range_backfill_then_rerun_fetches_nothing(tmp_path: Path) -> None:
    import duckdb

    data = tmp_path / "data"
    first, last = "2025-10-01", "2025-10-03"
    with Simulator(SimulatorConfig(volume=(4, 6))) as sim:
        registry = data / "inbox" / "wannabot"
        registry.mkdir(parents=True)
        for day in ("2025-10-01", "2025-10-02", "2025-10-03"):
            with urllib.request.urlopen(f"{sim.url}/wannabot/_sim/sessions?date={day}") as response:
                sessions = json.loads(response.read())["sessions"]
            (registry / f"{day}.csv").write_text(
                "session_id,created_at\n"
                + "".join(f"{s['session_id']},{s['created_at']}\n" for s in sessions)
            )
        env = {
            **os.environ,
            **sim.env(),
            "CHAT_ASSETS_DATA_DIR": str(data),
            "DAGSTER_HOME": str(instance_home(tmp_path)),
        }
        command = [
            DAGSTER,
            "asset",
            "materialize",
            "-m",
            "chat_assets.definitions",
            "--select",
            "*",
            "--partition-range",
            f"{first}...{last}",
        ]
        result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
        # One run for the whole range (single-run backfill policies), recorded in the persistent SQLite instance.
        import dagster as dg

        with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            runs = instance.get_runs()
            assert len(runs) == 1 and runs[0].status == dg.DagsterRunStatus.SUCCESS
            assert runs[0].tags["dagster/asset_partition_range_start"] == first
        counters = sim.counters()
        assert counters.get("wolkvox_overlaps", 0) == 0 and counters.get("neoagent_rate_violations", 0) == 0
        snapshot = json.dumps(counters, sort_keys=True)
        before = {p: p.read_bytes() for p in (data / "warehouse").rglob("*.parquet")}
        again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert again.returncode == 0, again.stderr[-4000:]
        assert json.dumps(sim.counters(), sort_keys=True) == snapshot  # nothing fetched again
        assert {
            p: p.read_bytes() for p in (data / "warehouse").rglob("*.parquet")
        } == before  # rewritten identically

    rows = duckdb.sql(
        f"select provider, date, count(*) n from read_parquet('{data}/warehouse/messages/*/*.parquet', "
        "hive_partitioning=true) group by all order by all"
    ).fetchall()
    providers = {r[0] for r in rows}
    assert providers == {"multichat", "wolkvox", "jelou", "neoagent", "wannabot"}
    assert {str(r[1]) for r in rows} == {"2025-10-01", "2025-10-02", "2025-10-03"}
    import pyarrow.dataset as ds

    dataset = ds.dataset(data / "warehouse" / "messages", format="parquet", partitioning="hive")
    assert dataset.count_rows() == sum(r[2] for r in rows)
    assert (
        "date" in dataset.schema.names
        and "date"
        not in ds.dataset(
            next((data / "warehouse" / "messages").rglob("*.parquet")), format="parquet"
        ).schema.names
    )


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_demo_module_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "chat_assets.demo", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "make demo" in result.stdout


def test_cli_partition_range_fails_only_the_bad_day_and_skips_today(tmp_path: Path) -> None:
    """One broken Jelou day in a three-day range: the others are materialized, it fails alone."""
    import dagster as dg

    from chat_assets import partitions

    first, bad, last = "2025-10-01", "2025-10-02", "2025-10-03"
    with Simulator(SimulatorConfig(volume=(2, 3), garbage={"jelou"}, garbage_match=f"startAt={bad}T")) as sim:
        env = {
            **os.environ,
            **sim.env(),
            "CHAT_ASSETS_DATA_DIR": str(tmp_path / "data"),
            "DAGSTER_HOME": str(instance_home(tmp_path)),
        }

        def materialize(select: str, start: str, end: str) -> subprocess.CompletedProcess[str]:
            command = [DAGSTER, "asset", "materialize", "-m", "chat_assets.definitions"]
            command += ["--select", select, "--partition-range", f"{start}...{end}"]
            return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)

        def materialized(key: str) -> set[str]:
            with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
                return set(instance.get_materialized_partitions(dg.AssetKey.from_user_string(key)))

        raw = materialize("jelou/raw", first, last)
        output = raw.stdout + raw.stderr
        assert raw.returncode != 0
        assert materialized("jelou/raw") == {first, last}
        for bot in sim.config.accounts["jelou"]:
            assert f"[jelou] account {bot} day {bad}" in output
        assert "jelou: 2 of 3 day(s) materialized; failed: 2025-10-02" in output
        assert f"--select 'jelou/raw*' --partition-range {first}...{last}` once the failed days" in output
        assert "day 3 of 3 (2025-10-03)" in output  # progress, day by day
        # Downstream, alone: the good days are normalized, the day without raw fails by itself.
        messages = materialize("jelou/messages", first, last)
        assert messages.returncode != 0
        assert materialized("jelou/messages") == {first, last}
        assert f"[jelou] day {bad}: no raw data" in messages.stdout + messages.stderr
        # The vendor recovers: a re-run fetches only the bad day, and everything completes.
        urllib.request.urlopen(f"{sim.url}/_sim/garbage?vendors=", timeout=10).read()
        before = sim.counters().get("jelou_requests", 0)
        again = materialize("jelou/raw*", first, last)  # the command the failure's log line gives
        assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
        assert materialized("jelou/messages") == {first, bad, last}
        assert materialized("jelou/sentiment_daily") == {first, bad, last}
        fetched_again = sim.counters()["jelou_requests"] - before
        assert 0 < fetched_again <= 2 * 3  # the bad day's pages only (two bots), not the whole range
        # A range that reaches today is not an error: today is skipped with a note.
        tz = env.get("CHAT_ASSETS_TIMEZONE", "America/Bogota")
        yesterday, today = partitions.yesterday(tz), partitions.today(tz)
        reaching = materialize("jelou/raw", yesterday, today)
        assert reaching.returncode == 0, reaching.stdout[-3000:] + reaching.stderr[-3000:]
        assert f"skipped: the day is not over yet in {tz}" in reaching.stdout + reaching.stderr
        assert today not in materialized("jelou/raw") and yesterday in materialized("jelou/raw")
