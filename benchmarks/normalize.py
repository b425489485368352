"""Normalization throughput and peak memory, per vendor, on a simulated day of ~150,000 messages.

    python -m benchmarks.normalize [--messages 150000] [--repeat 3]

For each vendor the simulator renders one day exactly as the vendor's API would answer it (the
same code that serves the fake API); the bytes are staged as a raw fetch, and the vendor's
normalizer runs on them, pinned to one core (CPU affinity and Arrow's thread pools set to 1).
The baseline is `pyarrow.json.read_json` (JSON vendors: every file of the day, one JSON document
a line; Wannabot's top-level arrays wrapped as `{"h": ...}`, which read_json requires) or
`pyarrow.csv.read_csv` (Multichat) on the same bytes, in the same process and on the same core: a
parse into Arrow with no normalization at all, so the ratio says what our work costs on top. Each vendor runs in its
own subprocess; the peak RSS reported is read right after our normalizer ran there (Python,
Arrow and Dagster included), before the baseline runs. The RSS after importing the
normalizer, before it reads anything, is reported too (`.imports_rss_mb`), and the peak above it
(`.working_mb`) beside twice the day's raw bytes: the part of the cap that is the day's.
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import math
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson

DAY = "2025-10-03"


def read_lines(bodies: list[bytes]) -> pa.Table:
    """The baseline: Arrow's own JSON reader over the day's documents, one a line."""
    return pajson.read_json(
        io.BytesIO(b"\n".join(bodies)), read_options=pajson.ReadOptions(block_size=1 << 26)
    )


def one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)


def render(
    vendor: str, conversations_per_day: int
) -> tuple[dict[str, tuple[bytes, dict[str, Any]]], int, Any]:
    """Files of one account-day as the vendor sends them, their message count, and a baseline."""
    from chat_assets.simulator.server import Counters, SimulatorConfig

    config = SimulatorConfig(
        volume=(conversations_per_day, conversations_per_day),
        wolkvox_max_records=10**9,
        neoagent_max_days=400,
        wolkvox_hold_s=0.0,
    )
    counters = Counters()
    account = config.accounts[vendor][0]
    if vendor == "wolkvox":
        from chat_assets.simulator.server import SimRequest
        from chat_assets.wolkvox.simulator import WolkvoxApi

        api = WolkvoxApi(config, counters)
        request = SimRequest(
            "GET",
            "/api/v2/reports_manager.php",
            {"api": "chat_2", "date_ini": "20251003000000", "date_end": "20251003235959"},
            {"wolkvox-token": config.credentials["WOLKVOX_TOKEN"]},
            b"",
            "",
        )
        body = api.handle(request).body
        n = sum(len(c["conversation"]) for c in json.loads(body)["data"])

        def baseline():
            return read_lines([body])

        # Recorded as the client records a one-day window (its bounds too: a day then keeps its own).
        info = {"status": 200, "window_ini": "20251003000000", "window_end": "20251003235959"}
        return {"window-20251003000000-20251003235959.json": (body, info)}, n, baseline
    if vendor == "jelou":
        from chat_assets.jelou.simulator import JelouApi, _parse_iso

        api = JelouApi(config, counters)
        rows = api._messages(
            account, _parse_iso("2025-10-03T00:00:00-05:00"), _parse_iso("2025-10-03T23:59:59.999-05:00")
        )
        pages = math.ceil(len(rows) / 50)
        files = {}
        for p in range(pages):
            page = {
                "pagination": {
                    "limit": 50,
                    "page": p + 1,
                    "total": len(rows),
                    "offset": p * 50,
                    "totalPages": pages,
                },
                "_metadata": {},
                "results": rows[p * 50 : (p + 1) * 50],
            }
            files[f"page-{p + 1:04d}.json"] = (json.dumps(page, ensure_ascii=False).encode(), {"status": 200})
        bodies = [b for b, _ in files.values()]
        return files, len(rows), lambda: read_lines(bodies)
    if vendor == "neoagent":
        from chat_assets.neoagent.simulator import NeoagentApi
        from chat_assets.simulator.server import SimRequest

        api = NeoagentApi(config, counters)
        body_json = json.dumps(
            {"SerialNumber": account, "StartTime": "2025-10-03", "EndTime": "2025-10-04"}
        ).encode()
        request = SimRequest(
            "POST",
            "/chat/Chatbot/ChatContentHistory",
            {},
            {"authorization": config.credentials["NEOAGENT_API_KEY"]},
            body_json,
            "",
        )
        body = api.handle(request).body
        from chat_assets.simulator.rendering import conversations

        # The answer spans two UTC dates; the local day keeps the sessions created in it.
        n = sum(
            len(c.messages)
            for c in conversations(config, "neoagent", account, date(2025, 10, 3), agents=False)
        )

        return {"range": (body, {})}, n, lambda: read_lines([body])
    if vendor == "wannabot":
        from chat_assets.simulator.rendering import conversations
        from chat_assets.wannabot.simulator import WannabotApi, session_id

        api = WannabotApi(config, counters)
        files, n = {}, 0
        for conv in conversations(
            config, "wannabot", account, date(2025, 10, 3), agents=False, rich_bot=True
        ):
            sid = session_id(0, date(2025, 10, 3), conv.number)
            history = api._render(sid, account, conv)
            n += sum(1 for m in history if not m["is_typing"])
            files[f"{sid}.json"] = (
                json.dumps(history, ensure_ascii=False).encode(),
                {"session_id": sid, "created_at": conv.started_at.isoformat()},
            )
        bodies = [b for b, _ in files.values()]
        return files, n, lambda: read_lines([b'{"h":' + b + b"}" for b in bodies])
    from chat_assets.multichat.normalize import read_csv
    from chat_assets.multichat.simulator import conversaciones_csv, dialect_for

    data = conversaciones_csv(config, account, date(2025, 10, 3))
    dialect = dialect_for(config, account, date(2025, 10, 3))
    n = read_csv(data)[0].num_rows
    encoding = "cp1252" if dialect["encoding"] == "cp1252" else "utf8"
    options = pacsv.ParseOptions(delimiter=dialect["delimiter"], newlines_in_values=True)
    baseline = lambda: pacsv.read_csv(  # noqa: E731
        io.BytesIO(data), read_options=pacsv.ReadOptions(encoding=encoding), parse_options=options
    )
    return {f"conversaciones-22_{DAY}.csv": (data, {"kind": "conversaciones"})}, n, baseline


def stage(vendor: str, conversations_per_day: int, root: str) -> tuple[int, int]:
    """Render the day and keep it as a raw fetch under `root`; returns (messages, bytes)."""
    from chat_assets.storage import DataStore

    files, n, _ = render(vendor, conversations_per_day)
    store = DataStore(root)
    with store.raw_fetch(vendor, DAY, "bench", {}) as fetch:
        for name, (data, info) in files.items():
            if vendor == "neoagent":
                fetch.reference(store.write_shared(vendor, "bench", "range.json", data))
            else:
                fetch.add(name, data, **info)
    return n, sum(len(d) for d, _ in files.values())


def peak_rss_mb() -> float:
    """This process's own peak RSS since it started (VmHWM).

    Not `getrusage(...).ru_maxrss`: Linux carries that over from the parent that spawned the
    process, so it reported the benchmark driver's peak (it holds every rendered day), not ours.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux


def forget_peak() -> None:
    """Start the peak RSS again from what is resident now (Linux: `clear_refs` 5 resets VmHWM).

    Called once the normalizer is imported, so a transient of the imports (compiling a module
    whose bytecode is stale peaked 30 MB above what stays resident) is not counted as the
    normalizer's.
    """
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass  # not Linux: the peak then includes the imports' own


def measure(vendor: str, conversations_per_day: int, root: str, repeat: int, out: Any) -> None:
    """In a fresh process: our normalizer first (peak RSS read right after), then the pyarrow baseline."""
    one_core()
    from chat_assets import memory
    from chat_assets.normalized_asset import NormalizeInput
    from chat_assets.storage import DataStore

    store = DataStore(root)
    manifest = store.raw_manifest(vendor, DAY, "bench")
    module = importlib.import_module(f"chat_assets.{vendor}.normalize")
    memory.map_large_blocks()  # as the normalized asset does when its step starts
    forget_peak()
    imports_mb = peak_rss_mb()
    ours, rows = [], 0
    for _ in range(repeat):
        # Answers a range shares are cached per process (Neoagent, Wolkvox): each repeat parses again.
        for cached in ("_sessions", "_window"):
            if hasattr(module, cached):
                getattr(module, cached).cache_clear()
        start = time.perf_counter()
        table = module.normalize_one(NormalizeInput(store, vendor, DAY, "bench", manifest, "America/Bogota"))[
            "messages"
        ]
        ours.append(time.perf_counter() - start)
        rows = table.num_rows
        del table
        memory.release_freed()  # as the normalized asset does after each day
    peak_mb = peak_rss_mb()
    _, _, baseline = render(vendor, conversations_per_day)
    theirs = []
    for _ in range(repeat):
        start = time.perf_counter()
        baseline()
        theirs.append(time.perf_counter() - start)
    out.send(
        {
            "rows": rows,
            "ours_s": min(ours),
            "baseline_s": min(theirs),
            "peak_mb": peak_mb,
            "imports_mb": imports_mb,
        }
    )


def bench_line(name: str, value: float, unit: str) -> str:
    return f"BENCH {name} {value:.6g} {unit}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=150_000, help="target messages per vendor-day")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--vendors", default="wolkvox,multichat,jelou,neoagent,wannabot")
    args = parser.parse_args(argv)
    per_conversation = {"wolkvox": 16.0, "multichat": 16.0, "jelou": 16.0, "neoagent": 14.0, "wannabot": 13.5}
    ctx = multiprocessing.get_context("spawn")
    print(
        f"{'vendor':<10} {'messages':>9} {'MB in':>7} {'ours msg/s':>12} {'pyarrow msg/s':>14} {'ratio':>6} "
        f"{'peak RSS MB':>12} {'RSS cap MB':>11} {'imports MB':>11} {'working MB':>11} {'2x raw MB':>10}"
    )
    lines = []
    for vendor in args.vendors.split(","):
        conversations = max(1, round(args.messages / per_conversation[vendor]))
        with tempfile.TemporaryDirectory() as root:
            messages, size = stage(vendor, conversations, root)
            receive, send = ctx.Pipe(duplex=False)
            process = ctx.Process(target=measure, args=(vendor, conversations, root, args.repeat, send))
            process.start()
            result = receive.recv()
            process.join()
        assert result["rows"] == messages, (vendor, result, messages)
        ours = messages / result["ours_s"]
        theirs = messages / result["baseline_s"]
        cap = 2 * size / 2**20 + 200  # the ceiling: twice the day's raw bytes plus 200 MB
        print(
            f"{vendor:<10} {messages:>9,} {size / 1e6:>7.1f} {ours:>12,.0f} {theirs:>14,.0f} "
            f"{ours / theirs:>5.2f}x {result['peak_mb']:>12,.0f} {cap:>11,.0f} {result['imports_mb']:>11,.0f} "
            f"{result['peak_mb'] - result['imports_mb']:>11,.0f} {2 * size / 2**20:>10,.0f}"
        )
        sys.stdout.flush()
        lines += [
            bench_line(f"normalize.{vendor}.msgs_per_s_per_core", ours, "msgs/s"),
            bench_line(f"normalize.{vendor}.pyarrow_msgs_per_s", theirs, "msgs/s"),
            bench_line(f"normalize.{vendor}.ratio_to_pyarrow", ours / theirs, "x"),
            bench_line(f"normalize.{vendor}.peak_rss_mb", result["peak_mb"], "MB"),
            bench_line(f"normalize.{vendor}.rss_cap_mb", cap, "MB"),
            bench_line(f"normalize.{vendor}.raw_mb", size / 2**20, "MB"),
            bench_line(f"normalize.{vendor}.imports_rss_mb", result["imports_mb"], "MB"),
            bench_line(f"normalize.{vendor}.working_mb", result["peak_mb"] - result["imports_mb"], "MB"),
        ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
