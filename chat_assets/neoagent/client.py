"""Neoagent ChatContentHistory client: wide UTC ranges, split when the vendor says 413.

A local day spans two UTC dates, so a run asks for the UTC range that covers all the local days
it needs, in pieces of up to 31 dates (a year is 12 calls per serial, not 730), halving a piece
on a 413. Each answer is kept once, content-addressed, under raw/neoagent/_ranges/<serial>/, and
every local day's manifest references the answers that cover it. At most 10 requests a minute
per key, counted in a state file every run and process shares (`SharedWindowLimiter`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

from chat_assets.errors import (
    AccountNotFoundError,
    AuthError,
    PayloadError,
    RateLimitedError,
    RequestRejectedError,
)
from chat_assets.http import HttpPolicy, Redactor, VendorHttp
from chat_assets.partitions import day_bounds, local_day, shifted
from chat_assets.ratelimit import SharedState, as_state, digest
from chat_assets.storage import DataStore, RawFetch
from chat_assets.vendor_client import HttpVendorClient, VendorResource, split_list

VENDOR = "neoagent"
PATH = "/chat/Chatbot/ChatContentHistory"
#: The widest range asked first, in UTC dates: the width accounts have been seen to accept (the
#: document only says a too-wide range answers 413, which still halves whatever we ask).
FIRST_ASK_DAYS = 31


class NeoagentResource(VendorResource):
    """Neoagent credentials (NEOAGENT_*); the key is only ever read through EnvVar."""

    base_url: str
    api_key: str
    serial_numbers: str
    max_per_minute: int = 10

    def accounts(self) -> list[str]:
        return split_list(self.serial_numbers)

    def client(self, transport: httpx.BaseTransport | None = None) -> NeoagentClient:
        return NeoagentClient(
            self.base_url,
            self.api_key,
            self.store.timezone,
            store=self.store.store(),
            state=self.store.shared_state(),
            max_per_minute=self.max_per_minute,
            transport=transport,
        )


def utc_dates(day: str, tz: str) -> tuple[date, date]:
    """The UTC dates a local day touches (first, last)."""
    start, end = day_bounds(day, tz)
    return start.astimezone(UTC).date(), shifted(end, -timedelta(microseconds=1)).astimezone(UTC).date()


@dataclass(frozen=True)
class RangeAnswer:
    """One stored Neoagent answer: the UTC dates it covers, its HTTP status, its sessions per local day."""

    first: date
    last: date
    rel: str
    status: int
    sessions: int
    by_day: dict[str, int]


def sessions_by_day(sessions: list, tz: str) -> dict[str, int]:
    """How many sessions of an answer were created on each local day (a session's day is its CreateTime's)."""
    counts: dict[str, int] = {}
    for session in sessions:
        created = session.get("CreateTime") if isinstance(session, dict) else None
        try:
            day = local_day(datetime.fromisoformat(str(created)), tz)
        except ValueError:
            continue  # the normalizer reports a session without a readable CreateTime
        counts[day] = counts.get(day, 0) + 1
    return counts


class NeoagentClient(HttpVendorClient):
    def __init__(
        self,
        base_url: str,
        api_key: str,
        timezone: str,
        *,
        store: DataStore,
        state: SharedState | Path,
        max_per_minute: int = 10,
        policy: HttpPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        self.timezone = timezone
        self.store = store
        self.redact = Redactor([api_key])
        limiter = as_state(state).window(digest("neoagent-rate", api_key), max_per_minute, 60.0)
        self.http = VendorHttp(
            VENDOR,
            base_url,
            policy=policy,
            redactor=self.redact,
            headers={"Authorization": api_key},
            limiter=limiter,
            transport=transport,
        )
        self.url = self.http.url(PATH)
        #: serial -> answers fetched by this client, with what each says about every local day.
        self.ranges: dict[str, list[RangeAnswer]] = {}
        self.span: tuple[str, str] | None = None

    def describe(self, day: str, serial: str) -> dict[str, object]:
        first, last = utc_dates(day, self.timezone)
        return self.http.describe(
            "POST",
            self.url,
            body={"SerialNumber": serial, "StartTime": first.isoformat(), "EndTime": last.isoformat()},
        )

    def prepare(self, days: Sequence[str]) -> None:
        """The local days this run must fetch; one range covering them is asked for per serial."""
        self.span = (min(days), max(days)) if days else None

    def _post(self, serial: str, first: date, last: date, label: str) -> list[RangeAnswer]:
        body = {"SerialNumber": serial, "StartTime": first.isoformat(), "EndTime": last.isoformat()}
        response = self.http.request("POST", self.url, json=body, account=serial, day=label)
        name = f"{first.isoformat()}_{last.isoformat()}.json"
        try:
            parsed = json.loads(response.content)
        except (ValueError, RecursionError):
            parsed = None
        if (
            isinstance(parsed, dict)
            and parsed.get("Success") is True
            and isinstance(parsed.get("Data"), list)
        ):
            rel = self.store.write_shared(VENDOR, serial, name, response.content)
            return [
                RangeAnswer(
                    first,
                    last,
                    rel,
                    response.status_code,
                    len(parsed["Data"]),
                    sessions_by_day(parsed["Data"], self.timezone),
                )
            ]
        # Anything else is kept as received, beside the other failed attempts, before judging it.
        where = self.store.keep_failed(VENDOR, label, serial, name, response.content, redact=self.redact)
        if not isinstance(parsed, dict) or "Success" not in parsed:
            raise PayloadError(
                VENDOR,
                serial,
                label,
                f"HTTP {response.status_code} without the documented Success/Code/Message object",
                raw_path=where,
            )
        code = int(parsed.get("Code") or response.status_code)
        message = str(parsed.get("Message") or "")
        if code == 413 or response.status_code == 413:
            if first == last:
                raise RequestRejectedError(
                    VENDOR, serial, label, "413 (range too wide) even for a single date", raw_path=where
                )
            middle = first + (last - first) // 2
            return self._post(serial, first, middle, label) + self._post(
                serial, middle + timedelta(days=1), last, label
            )
        if code == 401:
            raise AuthError(
                VENDOR,
                serial,
                label,
                f"Neoagent rejected the key (401 '{message}')",
                action="Check NEOAGENT_API_KEY in .env.",
                raw_path=where,
            )
        if code == 404:
            raise AccountNotFoundError(
                VENDOR,
                serial,
                label,
                f"Neoagent does not know chatbot {serial} ('{message}')",
                action="Check NEOAGENT_SERIAL_NUMBERS in .env.",
                raw_path=where,
            )
        if code == 429:
            raise RateLimitedError(
                VENDOR,
                serial,
                label,
                f"Neoagent refused the call as over its rate ('{message}')",
                raw_path=where,
            )
        if code == 400:
            raise RequestRejectedError(
                VENDOR, serial, label, f"Neoagent rejected the dates ('{message}')", raw_path=where
            )
        raise PayloadError(
            VENDOR,
            serial,
            label,
            f"not the documented answer: Success:false with Code {code} ('{message}'), or `Data` is not a list",
            raw_path=where,
        )

    def _fetch_span(self, serial: str) -> None:
        assert self.span is not None
        first, _ = utc_dates(self.span[0], self.timezone)
        _, last = utc_dates(self.span[1], self.timezone)
        label = self.span[0] if self.span[0] == self.span[1] else f"{self.span[0]}..{self.span[1]}"
        # A long backfill starts from pieces of FIRST_ASK_DAYS dates: asking a year at once would
        # spend a handful of the 10 calls a minute on 413s before the halves reach an accepted width.
        answers: list[RangeAnswer] = []
        while first <= last:
            stop = min(last, first + timedelta(days=FIRST_ASK_DAYS - 1))
            answers += self._post(serial, first, stop, label)
            first = stop + timedelta(days=1)
        self.ranges[serial] = answers

    def fetch_day(self, fetch: RawFetch, day: str, serial: str) -> None:
        if self.span is None or not self.span[0] <= day <= self.span[1]:
            self.prepare([day])
            self.ranges.pop(serial, None)
        if serial not in self.ranges:
            self._fetch_span(serial)
        first, last = utc_dates(day, self.timezone)
        used = []
        for answer in self.ranges[serial]:
            if answer.first <= last and answer.last >= first:
                # `records` is what this answer holds for this local day; `range_records` all it holds.
                fetch.reference(
                    answer.rel,
                    utc_first=answer.first.isoformat(),
                    utc_last=answer.last.isoformat(),
                    status=answer.status,
                    records=answer.by_day.get(day, 0),
                    range_records=answer.sessions,
                )
                used.append(answer.rel)
        fetch.note(utc_dates=[first.isoformat(), last.isoformat()], answers=len(used))
