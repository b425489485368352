"""Rate limiters: an in-process token bucket, and a sliding window shared across processes."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

from chat_assets.ratelimit import DailyCounter, SharedLock, SharedWindowLimiter, TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_token_bucket_allows_a_burst_then_paces() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=2.0, capacity=3, clock=clock, sleep=clock.sleep)
    waits = [bucket.acquire() for _ in range(7)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert clock.now == 2.0  # four more tokens at 2 per second
    assert all(abs(w - 0.5) < 1e-9 for w in waits[3:])


def test_sliding_window_never_admits_more_than_n_in_any_window(tmp_path: Path) -> None:
    clock = FakeClock()
    limiter = SharedWindowLimiter(
        tmp_path / "w.json", max_calls=10, period=60, margin=0.0, clock=clock, sleep=clock.sleep
    )
    stamps = []
    for _ in range(35):
        limiter.acquire()
        stamps.append(clock.now)
    for i, t in enumerate(stamps):
        assert sum(1 for s in stamps[i:] if s - t < 60) <= 10


def _worker(path: str, out: str, n: int) -> None:
    limiter = SharedWindowLimiter(Path(path), max_calls=3, period=1.0, margin=0.05)
    with open(out, "a") as handle:
        for _ in range(n):
            limiter.acquire()
            handle.write(f"{time.time()}\n")


def test_sliding_window_is_shared_across_processes(tmp_path: Path) -> None:
    state, log = tmp_path / "shared.json", tmp_path / "calls.txt"
    procs = [multiprocessing.Process(target=_worker, args=(str(state), str(log), 4)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    stamps = sorted(float(line) for line in log.read_text().split())
    assert len(stamps) == 8
    for i, t in enumerate(stamps):
        assert sum(1 for s in stamps[i:] if s - t < 1.0) <= 3


def _hold(path: str, out: str) -> None:
    lock = SharedLock(Path(path))
    for _ in range(5):
        with lock.hold():
            with open(out, "a") as handle:
                handle.write("in\n")
            time.sleep(0.01)
            with open(out, "a") as handle:
                handle.write("out\n")


def test_shared_lock_is_exclusive_across_processes(tmp_path: Path) -> None:
    out = tmp_path / "trace.txt"
    procs = [
        multiprocessing.Process(target=_hold, args=(str(tmp_path / "t.lock"), str(out))) for _ in range(3)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    trace = out.read_text().split()
    assert len(trace) == 30
    assert trace == ["in", "out"] * 15  # never two holders at once


def test_daily_counter(tmp_path: Path) -> None:
    counter = DailyCounter(tmp_path / "uses.json")
    assert [counter.add("2025-10-01") for _ in range(3)] == [1, 2, 3]
    assert counter.add("2025-10-02") == 1
    assert counter.get("2025-10-01") == 0  # older days are dropped once a new day is counted
