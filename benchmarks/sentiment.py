"""Sentiment scorer throughput on one core: `python -m benchmarks.sentiment [--messages 150000]`.

Texts are the customer and agent messages of a simulated day (what the scorer sees in
production). Two figures: every text read from scratch by a fresh scorer with no memo (the
engine itself: score and complaint signals), and the scorer as the pipeline uses it (chat
repeats "ok", "gracias"...: repeated texts are memoized). Figures are messages per second.

`--baseline REV` also loads the engine as it was at git revision REV (its lexicons included)
into this process and times both on the same texts, alternating, best of `--rounds`: the ratio
is what a change to the engine costs, free of the noise between two runs on a shared machine.
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ENGINE = "chat_assets/sentiment/lexicon_engine.py"
LEXICONS = "chat_assets/sentiment/lexicon"


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True).stdout


def load_baseline(rev: str, into: Path) -> Any:
    """The LexiconScorer class of revision `rev`, importable beside today's (as `baseline_<rev>`)."""
    name = f"baseline_{rev.replace('-', '_').replace('.', '_')}"
    package = into / name
    (package / "lexicon").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "lexicon" / "__init__.py").write_text("")
    source = _git("show", f"{rev}:{ENGINE}").replace("chat_assets.sentiment.lexicon", f"{name}.lexicon")
    if "chat_assets" in source:
        raise SystemExit(f"the engine at {rev} imports other project modules; it cannot be timed alone")
    (package / "lexicon_engine.py").write_text(source)
    for entry in _git("ls-tree", "--name-only", f"{rev}:{LEXICONS}").split():
        if entry.endswith(".tsv"):
            (package / "lexicon" / entry).write_text(_git("show", f"{rev}:{LEXICONS}/{entry}"))
    sys.path.insert(0, str(into))
    return importlib.import_module(f"{name}.lexicon_engine").LexiconScorer


def _cold(scorer: Any) -> Callable[[str], object]:
    return getattr(scorer, "_analyze", None) or scorer._score


def _timed(run: Callable[[], None]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=150_000)
    parser.add_argument("--baseline", metavar="REV", help="git revision whose engine to time alongside")
    parser.add_argument("--rounds", type=int, default=3, help="timings per figure; the best counts")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from chat_assets.sentiment.lexicon_engine import LexiconScorer
    from chat_assets.simulator.rendering import conversations
    from chat_assets.simulator.server import SimulatorConfig

    n_conversations = max(1, args.messages // 8)
    config = SimulatorConfig(volume=(n_conversations, n_conversations))
    texts = [
        m.text
        for c in conversations(config, "jelou", "bench", date(2025, 10, 3))
        for m in c.messages
        if m.role in ("customer", "agent")
    ][: args.messages]
    distinct = len(set(texts))
    engines: dict[str, Any] = {"today": LexiconScorer}
    with tempfile.TemporaryDirectory() as tmp:
        if args.baseline:
            engines[args.baseline] = load_baseline(args.baseline, Path(tmp))
        figures: dict[str, tuple[float, float]] = {}
        for _ in range(args.rounds):  # alternate engines so that both see the same machine
            for label, engine in engines.items():
                cold = _cold(engine())
                cold_rate = len(texts) / _timed(lambda cold=cold: [cold(t) for t in texts] and None)
                warm = engine()  # built outside the timing: loading lexicons is not scoring
                warm_rate = len(texts) / _timed(lambda warm=warm: warm.score_many(texts) and None)
                previous = figures.get(label, (0.0, 0.0))
                figures[label] = (max(previous[0], cold_rate), max(previous[1], warm_rate))
    print(f"texts: {len(texts):,} customer/agent messages ({distinct:,} distinct), one core")
    print(f"{'engine':<12} {'no memo':>14} {'as used (memoized)':>20}   messages/s, best of {args.rounds}")
    for label, (cold_rate, warm_rate) in figures.items():
        print(f"{label:<12} {cold_rate:>14,.0f} {warm_rate:>20,.0f}")
    cold_rate, warm_rate = figures["today"]
    print(f"BENCH sentiment.cold_msgs_per_s {cold_rate:.0f} msgs/s")
    print(f"BENCH sentiment.memoized_msgs_per_s {warm_rate:.0f} msgs/s")
    if args.baseline:
        base_cold, base_warm = figures[args.baseline]
        print(
            f"today / {args.baseline}: no memo {cold_rate / base_cold:.2f}x, memoized {warm_rate / base_warm:.2f}x"
        )
        print(f"BENCH sentiment.cold_ratio_to_baseline {cold_rate / base_cold:.3f} x")
        print(f"BENCH sentiment.memoized_ratio_to_baseline {warm_rate / base_warm:.3f} x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
