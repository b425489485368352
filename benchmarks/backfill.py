"""A backfill of every vendor end to end, measured against the limits the vendors impose.

    python -m benchmarks.backfill [--days 365] [--latency 0.1] [--volume 4-8] [--short]

The simulator answers every request after a fixed latency (a real API's round trip). A Wannabot
registry is written for the days, then one `dagster asset materialize --select '*'
--partition-range` run (the CLI, as users run it; a temporary instance and data dir) backfills the
last D closed days of every asset. Per vendor, from the run's own step events: the fetch time (its
raw step), normalization and derived-table time; from the simulator's counters: the requests made.

The lower bound is what the vendor's own limits impose, whatever the client: requests needed x
latency / allowed concurrency, plus any documented rate. Requests needed: Wolkvox one call per
31-day window (documented maximum; the volume here stays under its 60,000 records), one caller
per token; Neoagent one call per account per 31-day range, one at a time and 10 a minute
((needed - 1) // 10 full minutes); Jelou, Multichat and Wannabot the requests the simulator
counted (their APIs leave no choice: pages of 50 after a login, a report and its downloads per
account-day, one call per session), at our polite cap of 4 at once since they publish no limit
(NOTES.md). A ratio of 1.0 is a client that wastes nothing. `--short` (7 days) is the CI-sized run.

Two measured times per vendor: the fetch step (what the run spent, including starting the step's
process and writing the raw files) and the API span (from the vendor's first request to its last
answer, as the simulator saw them): the difference is our overhead outside the vendor's limits.
The fetch step is also split where Dagster starts recording its per-day materializations (one
event-log write per day, after the step's work): `fetch_work_s` is the step up to there,
`recording_s` the rest.

The simulator is not free either: besides the fixed latency it renders every answer (a day's
zipped CSV, a page of JSON) on the benchmark's own two cores, beside the run. So a second bound
takes each request at the time the simulator really took to serve it (latency, rendering,
sending: `served s`) divided by the same concurrency; the API span against that bound says how
well the client keeps the allowed slots busy, whatever the simulator costs.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa

from chat_assets.storage import DataStore

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
VENDORS = ("multichat", "wolkvox", "jelou", "neoagent", "wannabot")
#: Concurrent requests each vendor allows (see the module docstring for where each comes from).
ALLOWED_CONCURRENCY = {"multichat": 4, "wolkvox": 1, "jelou": 4, "neoagent": 1, "wannabot": 4}
NEOAGENT_RATE = (10, 60.0)


def bench_line(name: str, value: float, unit: str) -> str:
    return f"BENCH {name} {value:.6g} {unit}"


def needed(vendor: str, counted: int, days: int, accounts: int) -> int:
    """The fewest requests the vendor's documented limits allow for `days` days (docstring)."""
    if vendor == "wolkvox":
        return accounts * math.ceil(days / 31)
    if vendor == "neoagent":
        return accounts * math.ceil(days / 31)
    return counted


def bound_s(vendor: str, requests: int, latency: float) -> float:
    """The least time `requests` take at `latency` each, at the vendor's concurrency and rate."""
    latency_bound = requests * latency / ALLOWED_CONCURRENCY[vendor]
    if vendor == "neoagent" and requests:
        per, window = NEOAGENT_RATE
        return max(latency_bound, (requests - 1) // per * window)
    return latency_bound


def step_seconds(
    home: str,
) -> tuple[dict[str, float], dict[str, float], dict[str, tuple[float, float]], float]:
    """Each step's duration in the instance's one run, the part of it spent recording materializations,
    when it started and ended (seconds from the run's first step start), and that first start (epoch s).

    From the step's STEP_START, first ASSET_MATERIALIZATION and STEP_SUCCESS|FAILURE events.
    """
    import dagster as dg

    os.environ["DAGSTER_HOME"] = home
    instance = dg.DagsterInstance.get()
    [run] = instance.get_runs()
    started: dict[str, float] = {}
    first_recorded: dict[str, float] = {}
    seconds: dict[str, float] = {}
    recording: dict[str, float] = {}
    ended: dict[str, float] = {}
    for event in instance.all_logs(run.run_id):
        if not event.is_dagster_event or event.step_key is None:
            continue
        kind, step = event.dagster_event_type, event.step_key
        if kind == dg.DagsterEventType.STEP_START:
            started[step] = event.timestamp
        elif kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            first_recorded.setdefault(step, event.timestamp)
        elif kind in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
            seconds[step] = event.timestamp - started[step]
            recording[step] = event.timestamp - first_recorded.get(step, event.timestamp)
            ended[step] = event.timestamp
    first = min(started.values(), default=0.0)
    spans = {step: (started[step] - first, ended[step] - first) for step in ended}
    return seconds, recording, spans, first


def vendor_of(step: str) -> str:
    return next(v for v in VENDORS if step.startswith(v))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per vendor request")
    parser.add_argument("--volume", default="4-8", help="conversations per account-day, MIN-MAX")
    parser.add_argument("--short", action="store_true", help="7 days: the CI-sized run")
    args = parser.parse_args(argv)
    days_n = 7 if args.short else args.days
    low, high = (int(x) for x in args.volume.split("-"))

    from chat_assets.demo import write_wannabot_registry
    from chat_assets.simulator import Simulator
    from chat_assets.simulator.server import SimulatorConfig

    tz = "America/Bogota"
    yesterday = datetime.now(ZoneInfo(tz)).date() - timedelta(days=1)
    days = [(yesterday - timedelta(days=days_n - 1 - i)).isoformat() for i in range(days_n)]
    config = SimulatorConfig(volume=(low, high), latency_s=args.latency, timezone=tz, wolkvox_hold_s=0.0)
    with tempfile.TemporaryDirectory(prefix="bench-backfill-") as tmp, Simulator(config) as sim:
        data_dir, home = Path(tmp) / "data", Path(tmp) / "home"
        home.mkdir()
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        write_wannabot_registry(sim.url, data_dir, days)
        sim.server.counters.reset()
        env = {
            **os.environ,
            **sim.env(),
            "DAGSTER_HOME": str(home),
            "CHAT_ASSETS_DATA_DIR": str(data_dir),
            "WOLKVOX_DAILY_QUOTA": "100000",
        }
        print(
            f"backfill of {days[0]}...{days[-1]} ({days_n} days), {low}-{high} conversations per "
            f"account-day, {args.latency * 1000:.0f} ms a request: one `dagster asset materialize` run",
            flush=True,
        )
        started, launched = time.monotonic(), time.time()
        run = subprocess.run(
            [str(BIN / "dagster"), "asset", "materialize", "-m", "chat_assets.definitions", "--select", "*",
             "--partition-range", f"{days[0]}...{days[-1]}"],
            env=env, cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
        wall = time.monotonic() - started
        if run.returncode != 0:
            sys.stderr.write(run.stdout[-4000:] + run.stderr[-4000:])
            print("the backfill failed: see above", file=sys.stderr)
            return 1
        counters = sim.server.counters.snapshot()
        spans = {v: sim.server.counters.span_s(v) for v in VENDORS}
        served = {v: sim.server.counters.served_s(v) for v in VENDORS}
        seconds, recording, step_spans, first_step = step_seconds(str(home))
        store = DataStore(str(data_dir))
        messages = {
            v: sum(_rows(store.read_table("messages", d, v, columns=["seq"])) for d in days) for v in VENDORS
        }

    lines = []
    print(
        f"\n{'vendor':<10} {'messages':>9} {'requests':>9} {'needed':>7} {'fetch s':>8} {'bound s':>8} {'ratio':>7} "
        f"{'work s':>7} {'ratio':>7} {'recording s':>12} "
        f"{'API span s':>11} {'ratio':>7} {'served s':>9} {'bound s':>8} {'ratio':>7} {'normalize s':>12} "
        f"{'derived s':>10}"
    )
    for vendor in VENDORS:
        steps = {k: v for k, v in seconds.items() if vendor_of(k) == vendor}
        fetch = sum(v for k, v in steps.items() if "raw" in k)
        fetch_recording = sum(v for k, v in recording.items() if vendor_of(k) == vendor and "raw" in k)
        fetch_work = fetch - fetch_recording
        normalize = sum(v for k, v in steps.items() if "messages" in k or "normalize" in k)
        derived = sum(steps.values()) - fetch - normalize
        requests = counters.get(f"{vendor}_requests", 0)
        least = needed(vendor, requests, days_n, len(config.accounts[vendor]))
        bound = bound_s(vendor, least, args.latency)
        ratio = fetch / bound if bound else float("nan")
        work_ratio = fetch_work / bound if bound else float("nan")
        span_ratio = spans[vendor] / bound if bound else float("nan")
        # Requests served one after another at the time each really took (module docstring).
        per_request = served[vendor] / requests if requests else 0.0
        served_bound = bound_s(vendor, requests, per_request)
        served_ratio = spans[vendor] / served_bound if served_bound else float("nan")
        print(
            f"{vendor:<10} {messages[vendor]:>9,} {requests:>9,} {least:>7,} {fetch:>8.1f} {bound:>8.1f} {ratio:>6.2f}x "
            f"{fetch_work:>7.1f} {work_ratio:>6.2f}x {fetch_recording:>12.1f} "
            f"{spans[vendor]:>11.1f} {span_ratio:>6.2f}x {served[vendor]:>9.1f} {served_bound:>8.1f} "
            f"{served_ratio:>6.2f}x {normalize:>12.1f} {derived:>10.1f}"
        )
        lines += [
            bench_line(f"backfill.{vendor}.messages", messages[vendor], "msgs"),
            bench_line(f"backfill.{vendor}.requests", requests, "requests"),
            bench_line(f"backfill.{vendor}.requests_needed", least, "requests"),
            bench_line(f"backfill.{vendor}.fetch_s", fetch, "s"),
            bench_line(f"backfill.{vendor}.bound_s", bound, "s"),
            bench_line(f"backfill.{vendor}.ratio_to_bound", ratio, "x"),
            bench_line(f"backfill.{vendor}.fetch_work_s", fetch_work, "s"),
            bench_line(f"backfill.{vendor}.recording_s", fetch_recording, "s"),
            bench_line(f"backfill.{vendor}.fetch_work_ratio_to_bound", work_ratio, "x"),
            bench_line(f"backfill.{vendor}.api_span_s", spans[vendor], "s"),
            bench_line(f"backfill.{vendor}.api_span_ratio_to_bound", span_ratio, "x"),
            bench_line(f"backfill.{vendor}.served_s", served[vendor], "s"),
            bench_line(f"backfill.{vendor}.served_bound_s", served_bound, "s"),
            bench_line(f"backfill.{vendor}.api_span_ratio_to_served_bound", served_ratio, "x"),
            bench_line(f"backfill.{vendor}.normalize_s", normalize, "s"),
            bench_line(f"backfill.{vendor}.derived_s", derived, "s"),
        ]
    print(f"\nwall time of the run: {wall:.1f} s for {sum(messages.values()):,} messages")
    # Where the wall time went: the fetches side by side, then what computing was left after them.
    fetched = max((end for step, (_, end) in step_spans.items() if "raw" in step), default=0.0)
    last = max((end for _, end in step_spans.values()), default=0.0)
    computing = sum(v for k, v in seconds.items() if "raw" not in k)
    cores = os.cpu_count() or 1
    # Before the first step: the CLI loading the code location and Dagster creating the run (one
    # planned-materialization event per asset and day); after the last: the run ending, the CLI exiting.
    before = first_step - launched
    print(
        f"steps: the first started {before:.1f} s after the CLI did; the last fetch ended {fetched:.1f} s "
        f"after that, the last step {last:.1f} s, the CLI {wall - before:.1f} s; normalization and derived "
        f"steps took {computing:.1f} s in all ({computing / cores:.1f} s on {cores} cores at the least)"
    )
    lines += [
        bench_line("backfill.days", days_n, "days"),
        bench_line("backfill.wall_s", wall, "s"),
        bench_line("backfill.before_steps_s", before, "s"),
        bench_line("backfill.after_steps_s", wall - before - last, "s"),
        bench_line("backfill.fetches_done_s", fetched, "s"),
        bench_line("backfill.steps_done_s", last, "s"),
        bench_line("backfill.after_fetches_s", last - fetched, "s"),
        bench_line("backfill.computing_steps_s", computing, "s"),
    ]
    print("\n".join(lines))
    return 0


def _rows(table: pa.Table | None) -> int:
    return 0 if table is None else table.num_rows


if __name__ == "__main__":
    raise SystemExit(main())
