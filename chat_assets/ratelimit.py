"""Rate limits and exclusive use of vendor tokens, in one place.

- `TokenBucket`: in-process pacing (a burst of `capacity`, then `rate` per second).
- `SharedWindowLimiter`: at most N calls in any sliding window, with its state in a file under
  an OS lock, so every thread, run and process that uses one key shares the same budget
  (Neoagent's 10 requests a minute must hold across back-to-back CLI runs).
- `SharedLock`: one caller at a time for a token across processes (Wolkvox), as a second line
  behind the Dagster pool, which only covers runs launched through the instance.
- `DailyCounter`: token uses counted per local day, for vendors with a daily quota.

Where their state lives is chosen once, in `shared_state`: files under `<data dir>/state/` (or the
user cache when the data dir is an object store), which hold across the processes of one machine;
or, with CHAT_ASSETS_STATE_URL=postgresql://..., tables in PostgreSQL (`pgstate.py`), which hold
across machines. Clients ask the state for a `window`, a `lock` or a `counter` by key and never
know which it is.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar, Protocol


def state_dir(data_dir: str) -> Path:
    if "://" in data_dir and not data_dir.startswith("file://"):
        path = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "chat_assets" / "state"
    else:
        path = Path(data_dir.removeprefix("file://")) / "state"
    path.mkdir(parents=True, exist_ok=True)
    return path


def digest(prefix: str, key: str) -> str:
    """A name for a secret-derived key that does not reveal the secret."""
    return f"{prefix}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:16]}"


def key_file(directory: Path, prefix: str, key: str, suffix: str) -> Path:
    return directory / f"{digest(prefix, key)}{suffix}"


class TokenBucket:
    """Thread-safe token bucket; `acquire` blocks until a token is available."""

    def __init__(
        self,
        rate: float,
        capacity: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if rate <= 0 or capacity < 1:
            raise ValueError("rate must be > 0 and capacity >= 1")
        self.rate, self.capacity = rate, capacity
        self.clock, self.sleep = clock, sleep
        self.tokens = capacity
        self.updated = clock()
        self.lock = threading.Lock()

    def _wait_time(self) -> float:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate

    def acquire(self) -> float:
        """Take one token; returns the seconds spent waiting."""
        waited = 0.0
        while True:
            with self.lock:
                wait = self._wait_time()
            if wait <= 0:
                return waited
            self.sleep(wait)
            waited += wait


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[int]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _read_json(fd: int, default: object) -> object:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = b""
    while chunk := os.read(fd, 65536):
        raw += chunk
    try:
        return json.loads(raw) if raw else default
    except json.JSONDecodeError:
        return default


def _write_json(fd: int, value: object) -> None:
    data = json.dumps(value).encode()
    os.lseek(fd, 0, os.SEEK_SET)
    os.ftruncate(fd, 0)
    os.write(fd, data)


class SharedWindowLimiter:
    """At most `max_calls` in any `period` seconds, shared through a locked state file.

    A sliding window (not a bucket) because vendors count calls in the last minute: a bucket
    refilling one token every 6 s would let an 11th call into a 60-second window.
    `margin` seconds are added to the window to absorb clock and network skew.
    """

    def __init__(
        self,
        path: Path,
        max_calls: int,
        period: float,
        margin: float = 0.5,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.path, self.max_calls, self.period, self.margin = path, max_calls, period, margin
        self.clock, self.sleep = clock, sleep

    def acquire(self) -> float:
        waited = 0.0
        window = self.period + self.margin
        while True:
            with _locked(self.path) as fd:
                now = self.clock()
                calls = [t for t in _read_json(fd, []) if now - t < window]  # type: ignore[union-attr]
                if len(calls) < self.max_calls:
                    calls.append(now)
                    _write_json(fd, calls)
                    return waited
                wait = window - (now - min(calls)) + 0.01
            self.sleep(wait)
            waited += wait


class SharedLock:
    """Exclusive use across threads and processes (an OS file lock plus a thread lock)."""

    _thread_locks: ClassVar[dict[str, threading.Lock]] = {}
    _guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: Path):
        self.path = path
        with self._guard:
            self.thread_lock = self._thread_locks.setdefault(str(path), threading.Lock())

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        with self.thread_lock, _locked(self.path):
            yield


class DailyCounter:
    """Counts uses per day in a locked file; `add` returns the count after adding."""

    def __init__(self, path: Path):
        self.path = path

    def add(self, day: str, n: int = 1) -> int:
        with _locked(self.path) as fd:
            counts = _read_json(fd, {})
            assert isinstance(counts, dict)
            counts = {d: c for d, c in counts.items() if d >= day} if n else counts
            counts[day] = counts.get(day, 0) + n
            _write_json(fd, counts)
            return counts[day]

    def get(self, day: str) -> int:
        with _locked(self.path) as fd:
            counts = _read_json(fd, {})
            assert isinstance(counts, dict)
            return int(counts.get(day, 0))


class Limiter(Protocol):
    def acquire(self) -> float: ...


class Lock(Protocol):
    def hold(self) -> contextlib.AbstractContextManager[None]: ...


class Counter(Protocol):
    def add(self, day: str, n: int = 1) -> int: ...

    def get(self, day: str) -> int: ...


class SharedState(Protocol):
    """Where limiter state lives; keys are already digests (`digest`), never secrets."""

    def window(self, key: str, max_calls: int, period: float, margin: float = 0.5) -> Limiter: ...

    def lock(self, key: str) -> Lock: ...

    def counter(self, key: str) -> Counter: ...


class FileState:
    """Limiter state in locked files of one directory: shared by the processes of one machine."""

    def __init__(self, directory: Path):
        self.directory = directory

    def window(self, key: str, max_calls: int, period: float, margin: float = 0.5) -> SharedWindowLimiter:
        return SharedWindowLimiter(self.directory / f"{key}.json", max_calls, period, margin)

    def lock(self, key: str) -> SharedLock:
        return SharedLock(self.directory / f"{key}.lock")

    def counter(self, key: str) -> DailyCounter:
        return DailyCounter(self.directory / f"{key}.json")


def shared_state(data_dir: str, state_url: str = "") -> SharedState:
    """PostgreSQL when CHAT_ASSETS_STATE_URL is set (several machines), else files (one machine)."""
    if state_url:
        from chat_assets.pgstate import PostgresState

        return PostgresState(state_url)
    return FileState(state_dir(data_dir))


def as_state(state: SharedState | Path) -> SharedState:
    """Clients accept a directory too (tests, scripts): files there."""
    return FileState(state) if isinstance(state, Path) else state
