"""The Wannabot session registry: `inbox/wannabot/*.csv` with header `session_id,created_at`.

Wannabot cannot list sessions by date, so whatever creates them (the integration, a webhook
receiver) drops CSV files here. A session's day is the local date of its `created_at` (ISO 8601
with a zone); a session listed twice counts once per day. Malformed lines are reported, never
silently dropped.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from chat_assets.storage import DataStore

INBOX = "inbox/wannabot"


@dataclass(frozen=True)
class Session:
    session_id: str
    created_at: datetime
    day: str
    source: str  # registry file, relative to the data dir
    line: int


@dataclass
class Registry:
    sessions: list[Session]
    rejected: list[str]

    def for_day(self, day: str) -> list[Session]:
        seen: set[str] = set()
        out = []
        for session in self.sessions:
            if session.day == day and session.session_id not in seen:
                seen.add(session.session_id)
                out.append(session)
        return out

    def days(self) -> list[str]:
        return sorted({s.day for s in self.sessions})


def parse_file(rel: str, data: bytes, tz: str) -> tuple[list[Session], list[str]]:
    zone = ZoneInfo(tz)
    text = data.decode("utf-8-sig", errors="replace")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "session_id" not in header or "created_at" not in header:
        return [], [f"{rel}: header must be 'session_id,created_at' (found {reader.fieldnames})"]
    reader.fieldnames = header
    sessions, rejected = [], []
    for line, row in enumerate(reader, start=2):
        sid = (row.get("session_id") or "").strip()
        stamp = (row.get("created_at") or "").strip()
        try:
            created = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            if created.tzinfo is None:
                raise ValueError("no time zone")
        except ValueError as exc:
            rejected.append(f"{rel}:{line}: created_at {stamp!r} is not ISO 8601 with a zone ({exc})")
            continue
        if not sid:
            rejected.append(f"{rel}:{line}: empty session_id")
            continue
        sessions.append(Session(sid, created, created.astimezone(zone).date().isoformat(), rel, line))
    return sessions, rejected


def read_registry(store: DataStore, tz: str) -> Registry:
    sessions, rejected = [], []
    for rel in store.list_files(INBOX):
        if rel.lower().endswith(".csv"):
            found, bad = parse_file(rel, store.read_bytes(rel), tz)
            sessions.extend(found)
            rejected.extend(bad)
    return Registry(sessions, rejected)
