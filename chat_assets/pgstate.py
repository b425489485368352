"""The shared limiter state in PostgreSQL, for more than one machine (CHAT_ASSETS_STATE_URL).

The file-based limiters of `ratelimit.py` hold across the processes of one machine. A daemon
host and run workers on other machines each see their own files, so the Neoagent request window,
the Wolkvox daily quota counter and the Wolkvox one-caller lock live here instead, with the same
behaviour: tables are created on first use; every decision is taken inside a transaction under
a transaction-scoped advisory lock for its key, so concurrent processes anywhere serialize on
it; times are the database server's clock, so machines whose clocks drift still agree on "the
last minute"; a lock is a session advisory lock, released by PostgreSQL itself if the holder
dies. Keys are digests of secrets (see `ratelimit.digest`), never the secrets.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import psycopg2

SCHEMA = """
CREATE TABLE IF NOT EXISTS chat_assets_calls (key TEXT NOT NULL, at DOUBLE PRECISION NOT NULL);
CREATE INDEX IF NOT EXISTS chat_assets_calls_key ON chat_assets_calls (key, at);
CREATE TABLE IF NOT EXISTS chat_assets_counters (
    key TEXT NOT NULL, day TEXT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (key, day)
);
"""
#: One advisory lock id for creating the tables, so two first users do not race on CREATE.
_SCHEMA_LOCK = 0x63686174  # "chat"


def lock_id(key: str) -> int:
    """A signed 64-bit advisory lock id for a key."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


def dsn(url: str) -> str:
    """`postgresql://` (or SQLAlchemy's `postgresql+psycopg2://`) as libpq takes it."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme.split('+')[0]}{sep}{rest}"


class PostgresState:
    """Connections to the state database; tables created once per process."""

    _ready: ClassVar[set[str]] = set()
    _guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, url: str):
        self.url = dsn(url)

    def __repr__(self) -> str:  # the URL may hold a password
        return "PostgresState(<CHAT_ASSETS_STATE_URL>)"

    @contextlib.contextmanager
    def connect(self) -> Iterator[Any]:
        conn = psycopg2.connect(self.url, connect_timeout=10, application_name="chat_assets")
        try:
            self._ensure_schema(conn)
            yield conn
        finally:
            conn.close()

    def _ensure_schema(self, conn: Any) -> None:
        with self._guard:
            if self.url in self._ready:
                return
            with conn, conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                cur.execute(SCHEMA)
            self._ready.add(self.url)

    def window(self, key: str, max_calls: int, period: float, margin: float = 0.5) -> PostgresWindowLimiter:
        return PostgresWindowLimiter(self, key, max_calls, period, margin)

    def lock(self, key: str) -> PostgresLock:
        return PostgresLock(self, key)

    def counter(self, key: str) -> PostgresCounter:
        return PostgresCounter(self, key)


class PostgresWindowLimiter:
    """At most `max_calls` in any `period` seconds for a key, for every process that shares the database."""

    def __init__(
        self,
        state: PostgresState,
        key: str,
        max_calls: int,
        period: float,
        margin: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.state, self.key, self.max_calls, self.window = state, key, max_calls, period + margin
        self.sleep = sleep
        # The database-clock second of the last grant: what the window guarantees spacing for. The
        # call itself follows a little later (commit, return); `margin` absorbs that lag.
        self.granted_at: float | None = None

    def acquire(self) -> float:
        waited = 0.0
        while True:
            with self.state.connect() as conn, conn, conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (lock_id(self.key),))
                cur.execute("SELECT extract(epoch FROM clock_timestamp())")
                now = float(cur.fetchone()[0])
                cur.execute(
                    "DELETE FROM chat_assets_calls WHERE key = %s AND at <= %s", (self.key, now - self.window)
                )
                cur.execute("SELECT count(*), min(at) FROM chat_assets_calls WHERE key = %s", (self.key,))
                count, oldest = cur.fetchone()
                if count < self.max_calls:
                    cur.execute("INSERT INTO chat_assets_calls (key, at) VALUES (%s, %s)", (self.key, now))
                    self.granted_at = now
                    return waited
                wait = self.window - (now - float(oldest)) + 0.01
            self.sleep(wait)
            waited += wait


class PostgresLock:
    """One holder at a time for a key, across machines (a session advisory lock) and threads."""

    _thread_locks: ClassVar[dict[str, threading.Lock]] = {}
    _guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, state: PostgresState, key: str):
        self.state, self.key = state, key
        with self._guard:
            self.thread_lock = self._thread_locks.setdefault(key, threading.Lock())

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        with self.thread_lock, self.state.connect() as conn:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_lock(%s)", (lock_id(self.key),))
                try:
                    yield
                finally:
                    cur.execute("SELECT pg_advisory_unlock(%s)", (lock_id(self.key),))


class PostgresCounter:
    """Uses per day for a key; `add` returns the count after adding. Older days are dropped."""

    def __init__(self, state: PostgresState, key: str):
        self.state, self.key = state, key

    def add(self, day: str, n: int = 1) -> int:
        with self.state.connect() as conn, conn, conn.cursor() as cur:
            cur.execute("DELETE FROM chat_assets_counters WHERE key = %s AND day < %s", (self.key, day))
            cur.execute(
                "INSERT INTO chat_assets_counters (key, day, n) VALUES (%s, %s, %s) "
                "ON CONFLICT (key, day) DO UPDATE SET n = chat_assets_counters.n + EXCLUDED.n RETURNING n",
                (self.key, day, n),
            )
            return int(cur.fetchone()[0])

    def get(self, day: str) -> int:
        with self.state.connect() as conn, conn, conn.cursor() as cur:
            cur.execute("SELECT n FROM chat_assets_counters WHERE key = %s AND day = %s", (self.key, day))
            row = cur.fetchone()
            return int(row[0]) if row else 0
