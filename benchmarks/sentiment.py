"""Sentiment scorer throughput on one core: `python -m benchmarks.sentiment [--messages 150000]`.

Texts are the customer and agent messages of a simulated day (what the scorer sees in
production). Two figures: every text scored from scratch by a fresh scorer with its memo
disabled (the floor), and the scorer as the pipeline uses it (chat repeats "ok", "gracias"...:
repeated texts are memoized). Figures are messages per second, and the ratio between the two.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=150_000)
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

    cold = LexiconScorer()
    start = time.perf_counter()
    for text in texts:
        cold._score(text)  # the engine itself, no memo
    cold_s = time.perf_counter() - start

    warm = LexiconScorer()
    start = time.perf_counter()
    warm.score_many(texts)
    warm_s = time.perf_counter() - start
    print(f"texts: {len(texts):,} customer/agent messages ({distinct:,} distinct), one core")
    print(f"engine, no memo:        {len(texts) / cold_s:>12,.0f} messages/s")
    print(f"as used (memoized):     {len(texts) / warm_s:>12,.0f} messages/s   ({cold_s / warm_s:.1f}x)")
    print(f"BENCH sentiment.cold_msgs_per_s {len(texts) / cold_s:.0f} msgs/s")
    print(f"BENCH sentiment.memoized_msgs_per_s {len(texts) / warm_s:.0f} msgs/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
