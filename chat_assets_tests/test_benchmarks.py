"""`make bench`'s benchmarks run and print their machine-readable lines; the bounds are the vendors' limits.

The real figures come from `make bench`; here each benchmark runs at a tiny size so that a change
that breaks one (or its `BENCH <name> <value> <unit>` lines) fails CI.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.backfill import bound_s, needed

ROOT = Path(__file__).resolve().parent.parent
LINE = re.compile(r"^BENCH (\S+) (\S+) (\S+)$", re.M)
VENDORS = ("multichat", "wolkvox", "jelou", "neoagent", "wannabot")


def bench(*args: str) -> dict[str, float]:
    run = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return {name: float(value) for name, value, _ in LINE.findall(run.stdout)}


def test_bounds_follow_the_documented_limits() -> None:
    # A year of Wolkvox is 12 windows of at most 31 days, one caller: 12 round trips.
    assert needed("wolkvox", 365, 365, 1) == 12 and bound_s("wolkvox", 12, 0.1) == pytest.approx(1.2)
    # Neoagent: 2 accounts x 12 ranges, 10 requests a minute: the rate, not the latency, bounds it.
    assert needed("neoagent", 99, 365, 2) == 24 and bound_s("neoagent", 24, 0.1) == 120.0
    # Jelou pages: what was counted, 4 at once.
    assert needed("jelou", 40, 7, 2) == 40 and bound_s("jelou", 40, 0.1) == pytest.approx(1.0)


@pytest.mark.e2e
def test_backfill_benchmark_prints_every_vendor_against_its_bound() -> None:
    figures = bench("benchmarks.backfill", "--days", "2", "--latency", "0.01", "--volume", "2-3")
    for vendor in VENDORS:
        assert figures[f"backfill.{vendor}.messages"] > 0
        assert figures[f"backfill.{vendor}.bound_s"] > 0
        assert figures[f"backfill.{vendor}.ratio_to_bound"] == pytest.approx(
            figures[f"backfill.{vendor}.fetch_s"] / figures[f"backfill.{vendor}.bound_s"], rel=1e-3
        )
        # The API span lies inside the fetch step, and no client can beat the latency of its requests.
        # The step is its own work, then Dagster recording the days' materializations.
        assert figures[f"backfill.{vendor}.fetch_work_s"] + figures[
            f"backfill.{vendor}.recording_s"
        ] == pytest.approx(figures[f"backfill.{vendor}.fetch_s"], abs=2e-3)
        assert figures[f"backfill.{vendor}.recording_s"] > 0
        span = figures[f"backfill.{vendor}.api_span_s"]
        assert 0 < span <= figures[f"backfill.{vendor}.fetch_s"]
    assert figures["backfill.days"] == 2
    # The fetches end before the last step (derived tables follow them), both inside the run.
    assert (
        0 < figures["backfill.fetches_done_s"] < figures["backfill.steps_done_s"] < figures["backfill.wall_s"]
    )
    assert figures["backfill.after_fetches_s"] == pytest.approx(
        figures["backfill.steps_done_s"] - figures["backfill.fetches_done_s"], abs=2e-3
    )
    assert figures["backfill.computing_steps_s"] > 0
    # The CLI's time is what comes before the first step, the steps, and what comes after the last.
    assert figures["backfill.before_steps_s"] > 0 and figures["backfill.after_steps_s"] >= 0
    assert figures["backfill.before_steps_s"] + figures["backfill.steps_done_s"] + figures[
        "backfill.after_steps_s"
    ] == pytest.approx(figures["backfill.wall_s"], abs=0.5)


def test_normalize_and_derived_benchmarks_print_their_lines() -> None:
    figures = bench(
        "benchmarks.normalize", "--messages", "1500", "--repeat", "1", "--vendors", "jelou,multichat"
    )
    for vendor in ("jelou", "multichat"):
        assert figures[f"normalize.{vendor}.msgs_per_s_per_core"] > 0
        assert figures[f"normalize.{vendor}.peak_rss_mb"] > 0
        assert 0 < figures[f"normalize.{vendor}.imports_rss_mb"] <= figures[f"normalize.{vendor}.peak_rss_mb"]
        assert figures[f"normalize.{vendor}.ratio_to_pyarrow"] > 0
    figures = bench("benchmarks.derived", "--days", "3", "--conversations", "5")
    assert figures["derived.days"] == 3 and figures["derived.messages"] > 0 and figures["derived.year_s"] > 0


def test_sentiment_benchmark_times_a_baseline_revision_beside_today() -> None:
    figures = bench("benchmarks.sentiment", "--messages", "2000", "--rounds", "1", "--baseline", "abf00d2")
    assert figures["sentiment.cold_msgs_per_s"] > 0 and figures["sentiment.memoized_msgs_per_s"] > 0
    assert figures["sentiment.cold_ratio_to_baseline"] > 0
    assert figures["sentiment.memoized_ratio_to_baseline"] > 0
