"""The two-command experience: `make demo` and `make dev`, against the built-in simulator.

`python -m chat_assets.demo run` starts the vendor simulator on a free loopback port, writes a
Wannabot session registry for the simulated days, materializes the last 7 complete days of every
asset through the Dagster CLI (one run, single-run backfill policies; the days are fetched again
if they are already stored), stops the simulator and prints what landed where.
`python -m chat_assets.demo dev` starts the simulator, writes a Wannabot registry for the last
week, switches every schedule and sensor on, and runs `dagster dev` against it until you stop it.
`python -m chat_assets.demo check` runs `dg check defs` and `dg list defs` with every vendor
configured (`make test` runs it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from chat_assets.simulator.server import VARIANTS
from chat_assets.vendors import VENDORS

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def start_simulator(
    volume: str, extra: list[str] | None = None
) -> tuple[subprocess.Popen[str], dict[str, str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "chat_assets.simulator", "--port", "0", "--volume", volume, *(extra or [])],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    env: dict[str, str] = {}
    assert process.stdout is not None
    for line in process.stdout:
        name, _, value = line.strip().partition("=")
        env[name] = value
        if name == "WANNABOT_API_KEY":  # the last variable the simulator prints
            break
    if "SIMULATOR_URL" not in env:
        process.kill()
        raise SystemExit(
            "the simulator did not start; run `python -m chat_assets.simulator --port 0` to see why"
        )
    return process, env


def write_wannabot_registry(sim_url: str, data_dir: Path, days: list[str]) -> int:
    from chat_assets.storage import DataStore
    from chat_assets.wannabot.registry import INBOX

    store = DataStore(str(data_dir))
    total = 0
    for day in days:
        with urllib.request.urlopen(f"{sim_url}/wannabot/_sim/sessions?date={day}", timeout=30) as response:
            sessions = json.loads(response.read())["sessions"]
        lines = ["session_id,created_at"] + [f"{s['session_id']},{s['created_at']}" for s in sessions]
        store.write_bytes(f"{INBOX}/demo-{day}.csv", ("\n".join(lines) + "\n").encode("utf-8"))
        total += len(sessions)
    return total


def summary(data_dir: Path) -> str:
    import pyarrow.dataset as ds

    lines = ["", "chat_assets demo: what landed", ""]
    warehouse = data_dir / "warehouse"
    for table_dir in sorted(p for p in warehouse.iterdir() if p.is_dir()) if warehouse.exists() else []:
        dataset = ds.dataset(table_dir, format="parquet", partitioning="hive")
        table = dataset.to_table()
        by_provider: dict[str, int] = {}
        for f in dataset.files:
            provider = Path(f).stem
            by_provider[provider] = (
                by_provider.get(provider, 0) + ds.dataset(f, format="parquet").count_rows()
            )
        detail = ", ".join(f"{k} {v:,}" for k, v in sorted(by_provider.items()))
        lines.append(f"  {table_dir.name:<18} {table.num_rows:>9,} rows   ({detail})")
    lines += [
        "",
        f"  raw payloads + manifests: {data_dir / 'raw'}",
        f"  warehouse (Parquet, hive): {warehouse}",
        "  query it:  .venv/bin/python -m chat_assets.query "
        '"select provider, count(*) from messages group by 1"   (no SQL: an interactive shell)',
        "  open the UI: make dev   (then http://127.0.0.1:3000)",
        "",
    ]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    tz = os.environ.get("CHAT_ASSETS_TIMEZONE", "America/Bogota")
    data_dir = Path(os.environ.get("CHAT_ASSETS_DATA_DIR", ROOT / "data")).resolve()
    yesterday = datetime.now(ZoneInfo(tz)).date() - timedelta(days=1)
    first = yesterday - timedelta(days=args.days - 1)
    days = [(first + timedelta(days=i)).isoformat() for i in range(args.days)]
    process, sim_env = start_simulator(args.volume, ["--timezone", tz, "--variant", args.variant])
    try:
        print(
            f"simulator at {sim_env['SIMULATOR_URL']}; materializing {days[0]}...{days[-1]} for every vendor"
        )
        sessions = write_wannabot_registry(sim_env["SIMULATOR_URL"], data_dir, days)
        print(
            f"wrote a Wannabot session registry of {sessions:,} sessions under {data_dir / 'inbox/wannabot'}"
        )
        env = {
            **os.environ,
            **sim_env,
            "CHAT_ASSETS_DATA_DIR": str(data_dir),
            "DAGSTER_HOME": os.environ.get("DAGSTER_HOME", str(ROOT)),
        }
        command = [
            str(BIN / "dagster"),
            "asset",
            "materialize",
            "-m",
            "chat_assets.definitions",
            "--select",
            "*",
            "--partition-range",
            f"{days[0]}...{days[-1]}",
            # Fetched again even when complete: a demo of another rendering (`--variant`) in the same
            # data dir would otherwise keep the days the last demo fetched and show nothing new.
            "--config-json",
            json.dumps({"ops": {f"{v.name}__raw": {"config": {"refetch": True}} for v in VENDORS}}),
        ]
        started = time.monotonic()
        result = subprocess.run(command, env=env, cwd=ROOT, capture_output=not args.verbose, text=True)
        elapsed = time.monotonic() - started
        if result.returncode != 0:
            if not args.verbose:
                sys.stderr.write(result.stdout[-6000:] + result.stderr[-6000:])
            print("\nthe demo run failed: the lines above say which vendor, account and day, and what to do.")
            return result.returncode
    finally:
        process.terminate()
        process.wait(timeout=10)
    print(summary(data_dir))
    print(
        f"  the backfill of {len(days)} days x every asset took {elapsed:.1f} s (one `dagster asset materialize` run)\n"
    )
    return 0


def dev(args: argparse.Namespace) -> int:
    """The simulator, a Wannabot registry for the last week, every schedule and sensor on, dagster dev."""
    tz = os.environ.get("CHAT_ASSETS_TIMEZONE", "America/Bogota")
    data_dir = Path(os.environ.get("CHAT_ASSETS_DATA_DIR", ROOT / "data")).resolve()
    process, sim_env = start_simulator(args.volume, ["--timezone", tz, "--variant", args.variant])
    env = {
        **os.environ,
        **sim_env,
        "CHAT_ASSETS_DATA_DIR": str(data_dir),
        "DAGSTER_HOME": os.environ.get("DAGSTER_HOME", str(ROOT)),
    }
    yesterday = datetime.now(ZoneInfo(tz)).date() - timedelta(days=1)
    write_wannabot_registry(
        sim_env["SIMULATOR_URL"], data_dir, [(yesterday - timedelta(days=i)).isoformat() for i in range(7)]
    )
    # Schedules and sensors ship stopped (they spend vendor quota); against the simulator they run.
    for kind in ("schedule", "sensor"):
        subprocess.run(
            [str(BIN / "dagster"), kind, "start", "--start-all", "-w", "workspace.yaml"],
            env=env,
            cwd=ROOT,
            check=False,
            capture_output=True,
        )
    print(
        f"simulator at {sim_env['SIMULATOR_URL']}; schedules and sensors started; starting dagster dev on "
        f"http://127.0.0.1:{args.port} (Ctrl-C stops both)"
    )
    try:
        return subprocess.call(
            [str(BIN / "dagster"), "dev", "-h", "127.0.0.1", "-p", str(args.port)], env=env, cwd=ROOT
        )
    except KeyboardInterrupt:
        return 0
    finally:
        process.terminate()


def check(args: argparse.Namespace) -> int:
    """`dg check defs` and `dg list defs` with every vendor configured (the simulator's variables).

    Loading the code location needs configuration, not a vendor: nothing is fetched, so the
    simulator's variables are only what makes all five vendors appear.
    """
    from chat_assets.simulator import Simulator

    sim = Simulator()  # bound, never served: only its environment is used
    sim.server.server_close()
    env = {**sim.env(), **os.environ, "VIRTUAL_ENV": str(BIN.parent)}
    dg = str(BIN / "dg")
    checked = subprocess.run([dg, "check", "defs"], env=env, cwd=ROOT, check=False)
    if checked.returncode:
        return checked.returncode
    listed = subprocess.run(
        [dg, "list", "defs", "--json"], env=env, cwd=ROOT, check=False, capture_output=True, text=True
    )
    if listed.returncode:
        sys.stderr.write(listed.stdout + listed.stderr)
        return listed.returncode
    found = json.loads(listed.stdout)
    assets = found.get("assets", [])
    print(
        f"dg list defs: {len(assets)} assets, {len(found.get('schedules', []))} schedules, "
        f"{len(found.get('sensors', []))} sensors, {len(found.get('jobs', []))} jobs"
    )
    return 0 if assets else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m chat_assets.demo",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="materialize the last complete days against the simulator")
    p_run.add_argument("--days", type=int, default=7)
    p_run.add_argument(
        "--volume", default="40-120", help="simulated conversations per account per day, MIN-MAX"
    )
    p_run.add_argument("--verbose", action="store_true", help="show Dagster's own output")
    p_run.add_argument(
        "--variant",
        choices=VARIANTS,
        default="default",
        help="the simulator's rendering of the vendor documents (the summary is the same for each)",
    )
    p_run.set_defaults(func=run)
    p_dev = sub.add_parser("dev", help="the simulator plus `dagster dev`")
    p_dev.add_argument("--volume", default="40-120")
    p_dev.add_argument("--port", type=int, default=3000)
    p_dev.add_argument("--variant", choices=VARIANTS, default="default")
    p_dev.set_defaults(func=dev)
    sub.add_parser("check", help="dg check defs and dg list defs with every vendor configured").set_defaults(
        func=check
    )
    args = parser.parse_args(argv)
    if shutil.which("dagster", path=str(BIN)) is None:
        raise SystemExit("dagster is not installed in this environment; run `make demo` (it installs it)")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
