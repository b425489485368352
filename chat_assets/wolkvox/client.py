"""Wolkvox `chat_2` client: a day as local-time windows, one caller per token at a time.

- One caller at a time per token, across threads and processes (`SharedLock`), behind the
  Dagster pool `wolkvox` that serializes runs; a 403 for overlapping use still waits and retries.
- A per-day count of token uses (the vendor's daily quota), recorded in every manifest. The
  document's rule is "the next call when the previous one has answered", which the token lock
  enforces; an extra pause between calls (`min_interval_s`, WOLKVOX_MIN_INTERVAL_S) is off by
  default (a 1 s pause made a year's 12 range calls take 11 s longer than the vendor requires).
- A window whose answer comes near the 60,000-record cap is split in halves and fetched again;
  its bytes are kept but marked superseded. HTTP 404 about the dates is an empty window.
- A run of several closed days is asked as windows of up to 31 days (the documented maximum), not
  a call a day: a year is a dozen calls instead of 365, which is both the one-caller token's
  bottleneck and its daily quota. Each answer is kept once under raw/wolkvox/_ranges/<server>/ and
  every day's manifest references the answers that cover it; the normalizer keeps, of a range
  answer, the conversations with a message in that day (what a one-day window returns). Today
  (intraday refreshes) and a lone day are still asked as one-day windows.
- Days are the project's (CHAT_ASSETS_TIMEZONE); Wolkvox reads `date_ini`/`date_end` and writes
  `date` in its server's zone (WOLKVOX_TIMEZONE). A day's window is the project's day written in
  the server's wall time: with the server an hour behind, 2025-10-03 is asked as
  `20251002230000`..`20251003225959`.
- The next range is asked while the days of the current one are recorded (one range ahead, on
  one thread, so still one caller): a year's 365 manifests were written between its 12 calls and
  left the token idle for as long as the calls themselves took.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from chat_assets.errors import (
    AuthError,
    PayloadError,
    QuotaExhaustedError,
    RequestRejectedError,
    VendorError,
)
from chat_assets.http import HttpPolicy, Redactor, VendorHttp
from chat_assets.partitions import day_bounds, local_day
from chat_assets.ratelimit import Counter, SharedState, TokenBucket, as_state, digest
from chat_assets.storage import DataStore, RawFetch
from chat_assets.vendor_client import HttpVendorClient, VendorResource

VENDOR = "wolkvox"
PATH = "/api/v2/reports_manager.php"
STAMP = "%Y%m%d%H%M%S"
_RECORDS = re.compile(r"(\d+)\s+records?", re.IGNORECASE)
#: The widest window the vendor answers (documented), in days.
MAX_WINDOW_DAYS = 31

#: Keeps one answer's bytes: (name, body, info) -> where they are (a fetch's file or a shared file).
Keep = Callable[..., str]


@dataclass
class Answer:
    """One answer of a window: where its bytes are kept and what the manifest says of it."""

    rel: str
    info: dict[str, object]
    ini: datetime
    end: datetime
    records_by_day: dict[str, int] = field(default_factory=dict)


def plan_ranges(days: Sequence[str], today: str) -> dict[str, tuple[str, str]]:
    """Closed days in runs of consecutive days, cut at MAX_WINDOW_DAYS: day -> (first, last) of its range.

    A range of one day is left out: it is asked as a one-day window, as the daily schedule always did.
    """
    plan: dict[str, tuple[str, str]] = {}
    run: list[str] = []

    def close() -> None:
        if len(run) > 1:
            for day in run:
                plan[day] = (run[0], run[-1])
        run.clear()

    for day in sorted(d for d in set(days) if d < today):
        consecutive = run and date.fromisoformat(day) - date.fromisoformat(run[-1]) == timedelta(days=1)
        if run and (not consecutive or len(run) == MAX_WINDOW_DAYS):
            close()
        run.append(day)
    close()
    return plan


def records_by_day(body: bytes, zone: str = "", day_zone: str = "") -> dict[str, int]:
    """Message records per day of a 200 answer (a conversation counts on each day it has).

    `date` values are wall times in `zone`; days are counted in `day_zone` when it differs.
    """
    counts: dict[str, int] = {}
    shift = bool(zone and day_zone and zone != day_zone)
    try:
        data = json.loads(body).get("data") or []
    except (ValueError, RecursionError, AttributeError):
        return counts
    for conv in data:
        messages = conv.get("conversation") if isinstance(conv, dict) else None
        if not isinstance(messages, list):
            continue
        values = {str(m.get("date") or "") for m in messages if isinstance(m, dict)} - {""}
        dates = {_day_of(v, zone, day_zone) for v in values} if shift else {v[:10] for v in values}
        dates.discard("")
        for day in dates:
            counts[day] = counts.get(day, 0) + len(messages)
    return counts


def server_bounds(first: str, last: str, zone: str, day_zone: str) -> tuple[datetime, datetime]:
    """[start, end) of the days first..last (days of `day_zone`) in the server's `zone`: its wall times."""
    server = ZoneInfo(zone)
    start, end = day_bounds(first, day_zone)[0], day_bounds(last, day_zone)[1]
    return start.astimezone(server), end.astimezone(server)


def _day_of(value: str, zone: str, day_zone: str) -> str:
    """The `day_zone` day of a wall time in `zone` ('' when it is not one: only metadata counts it)."""
    try:
        return local_day(
            datetime.strptime(value[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=ZoneInfo(zone)), day_zone
        )
    except ValueError:
        return ""


class WolkvoxResource(VendorResource):
    """Wolkvox credentials (WOLKVOX_*); the token is only ever read through EnvVar."""

    base_url: str
    server: str
    token: str
    #: WOLKVOX_TIMEZONE: the zone the vendor reads `date_ini`/`date_end` in; empty means the project's.
    vendor_timezone: str = ""
    max_records: int = 60_000
    #: WOLKVOX_MIN_INTERVAL_S: a pause between token uses, for an account that wants one (0: none).
    min_interval_s: float = 0.0
    #: WOLKVOX_DAILY_QUOTA and WOLKVOX_INTRADAY_SHARE: token uses a day, and the share intraday refreshes may spend.
    daily_quota: int = 1000
    intraday_share: float = 0.8

    @property
    def timezone(self) -> str:
        return self.vendor_timezone or self.store.timezone

    def accounts(self) -> list[str]:
        return [self.server]

    def uses_on(self, moment: datetime) -> int:
        """Token uses counted on the vendor's day of `moment` (what the quota is measured against)."""
        day = moment.astimezone(ZoneInfo(self.timezone)).date().isoformat()
        return uses_counter(self.store.shared_state(), self.server).get(day)

    def client(self, transport: httpx.BaseTransport | None = None) -> WolkvoxClient:
        return WolkvoxClient(
            self.base_url,
            self.token,
            self.timezone,
            day_zone=self.store.timezone,
            state=self.store.shared_state(),
            max_records=self.max_records,
            min_interval_s=self.min_interval_s,
            daily_quota=self.daily_quota,
            server=self.server,
            store=self.store.store(),
            transport=transport,
        )


def uses_counter(state: SharedState | Path, server: str) -> Counter:
    """Token uses per day for a server (the daily quota), shared by the client and the cadence."""
    return as_state(state).counter(digest("wolkvox-uses", server))


def is_overlap(response: httpx.Response) -> bool:
    return response.status_code == 403 and b"SIMULTANEOUS" in response.content.upper()


class WolkvoxClient(HttpVendorClient):
    def __init__(
        self,
        base_url: str,
        token: str,
        timezone: str,
        *,
        day_zone: str = "",
        state: SharedState | Path,
        max_records: int = 60_000,
        min_interval_s: float = 0.0,
        daily_quota: int = 1000,
        server: str = "",
        store: DataStore | None = None,
        policy: HttpPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        #: The server's zone (its wall times) and the zone of the days asked (the project's).
        self.timezone, self.day_zone = timezone, day_zone or timezone
        self.store = store
        self.plan: dict[str, tuple[str, str]] = {}
        #: The planned ranges in order, and each asked range's answers (or the error that ended it).
        self.spans: list[tuple[str, str]] = []
        self.ranges: dict[tuple[str, str, str], Future[list[Answer] | VendorError]] = {}
        #: One thread asks the ranges, so the next can be on its way while a day is recorded.
        self.ahead = ThreadPoolExecutor(1, thread_name_prefix="wolkvox-ranges")
        self.max_records = max_records
        self.daily_quota = daily_quota
        self.redact = Redactor([token])
        self.uses = uses_counter(state, server or "default")
        lock = as_state(state).lock(digest("wolkvox-token", token))
        self.http = VendorHttp(
            VENDOR,
            base_url,
            policy=policy,
            redactor=self.redact,
            headers={"wolkvox-token": token},
            limiter=TokenBucket(1.0 / min_interval_s) if min_interval_s > 0 else None,
            exclusive=lock.hold,
            transport=transport,
        )
        self.url = self.http.url(PATH)

    def bounds(self, first: str, last: str | None = None) -> tuple[datetime, datetime]:
        return server_bounds(first, last or first, self.timezone, self.day_zone)

    def describe(self, day: str, server: str) -> dict[str, object]:
        start, end = self.bounds(day)
        return {
            **self.http.describe(
                "GET",
                self.url,
                {
                    "api": "chat_2",
                    "date_ini": start.strftime(STAMP),
                    "date_end": (end - timedelta(seconds=1)).strftime(STAMP),
                },
            ),
            "server": server,
            "timezone": self.timezone,
        }

    def _window(self, keep: Keep, server: str, day: str, ini: datetime, end: datetime) -> tuple[int, str]:
        params = {"api": "chat_2", "date_ini": ini.strftime(STAMP), "date_end": end.strftime(STAMP)}
        used = self.uses.add(datetime.now(ini.tzinfo).date().isoformat())
        response = self.http.request(
            "GET", self.url, params=params, account=server, day=day, retry_on=is_overlap
        )
        name = f"window-{params['date_ini']}-{params['date_end']}.json"
        body = response.content
        message = ""
        try:
            parsed = json.loads(body)
            message = str(parsed.get("msg", "")) if isinstance(parsed, dict) else ""
        except (ValueError, RecursionError):
            parsed = None
        status = response.status_code
        if status == 200:
            if not isinstance(parsed, dict) or not isinstance(parsed.get("data"), list):
                keep(name, body, status=status, records=None)
                raise PayloadError(
                    VENDOR, server, day, f"window {name} is not the documented JSON object with a `data` list"
                )
            records = sum(len(c.get("conversation") or []) for c in parsed["data"] if isinstance(c, dict))
            match = _RECORDS.search(message)
            reported = int(match.group(1)) if match else records
            kept_at = keep(
                name, body, status=status, records=records, reported_records=reported, token_uses_today=used
            )
            return max(records, reported), kept_at
        kept_at = keep(name, body, status=status, records=0, token_uses_today=used)
        upper = message.upper()
        if status == 404 and isinstance(parsed, dict) and ("RECORD" in upper or "DATE" in upper):
            # The documented "no records, validate the dates" answer: an empty window, not a failure. Any
            # other 404 (an HTML page, an empty body, an unknown route) is an error, never an empty day.
            return 0, kept_at
        if status == 401 or (status == 403 and "VALIDATE TOKEN" in upper):
            raise AuthError(
                VENDOR,
                server,
                day,
                f"the vendor answered {status} '{message}'",
                action="Check WOLKVOX_TOKEN and WOLKVOX_SERVER; Wolkvox also answers this during "
                "maintenance, so retry later if the token is right.",
            )
        if status == 403 and "LIMIT EXCEEDED" in upper:
            raise QuotaExhaustedError(
                VENDOR, server, day, f"the token's daily quota is spent ({used} uses counted today)"
            )
        if status == 400:
            raise RequestRejectedError(VENDOR, server, day, f"the vendor rejected window {name}: '{message}'")
        raise PayloadError(
            VENDOR, server, day, f"window {name} answered HTTP {status}: '{self.redact(message)[:200]}'"
        )

    def _windows(self, keep: Keep, server: str, label: str, ini: datetime, stop: datetime) -> list[Answer]:
        """Every answer of [ini, stop], halving a window whose answer nears the record cap."""
        pending = [(ini, stop)]
        answers: list[Answer] = []
        split_at = 0.9 * self.max_records
        while pending:
            lo, hi = pending.pop(0)
            records, kept_at = self._window(keep, server, label, lo, hi)
            answer = Answer(kept_at, {}, lo, hi)
            answers.append(answer)
            if records >= split_at and hi - lo > timedelta(minutes=1):
                middle = (lo + (hi - lo) / 2).replace(microsecond=0)
                pending[:0] = [(lo, middle), (middle + timedelta(seconds=1), hi)]
                answer.info["superseded"] = True
                continue
            if records >= split_at:
                raise PayloadError(
                    VENDOR,
                    server,
                    label,
                    f"window {kept_at.rsplit('/', 1)[-1]} hit the {self.max_records}-record cap even at one minute",
                )
        return answers

    def prepare(self, days: Sequence[str]) -> None:
        """Plan the run's closed days as windows of up to 31 days (module docstring)."""
        today = datetime.now(ZoneInfo(self.day_zone)).date().isoformat()
        self.plan = plan_ranges(days, today) if self.store is not None else {}
        self.spans = sorted(set(self.plan.values()))

    def _ask(self, server: str, span: tuple[str, str]) -> Future[list[Answer] | VendorError]:
        """The range's answers, asked once (on the ranges' thread) however many days use them."""
        key = (server, *span)
        if key not in self.ranges:
            self.ranges[key] = self.ahead.submit(self._range_or_error, server, *span)
        return self.ranges[key]

    def _range_or_error(self, server: str, first: str, last: str) -> list[Answer] | VendorError:
        try:
            return self._range(server, first, last)
        except VendorError as error:
            return error  # every day of the range fails with it, named with the range

    def _range(self, server: str, first: str, last: str) -> list[Answer]:
        assert self.store is not None
        store = self.store
        label = f"{first}..{last}"

        def keep(name: str, body: bytes, **info: object) -> str:
            rel = store.write_shared(VENDOR, server, name, body, redact=self.redact)
            kept_info[rel] = {
                **info,
                "records_by_day": (
                    records_by_day(body, self.timezone, self.day_zone) if info.get("status") == 200 else {}
                ),
            }
            return rel

        kept_info: dict[str, dict] = {}
        start, stop = self.bounds(first, last)
        answers = self._windows(keep, server, label, start, stop - timedelta(seconds=1))
        for answer in answers:
            info = dict(kept_info[answer.rel])
            answer.records_by_day = info.pop("records_by_day")
            answer.info = {**info, **answer.info}
        return answers

    def close(self) -> None:
        # A step that stops early does not go on asking ranges it will not record.
        self.ahead.shutdown(wait=True, cancel_futures=True)
        super().close()

    def fetch_day(self, fetch: RawFetch, day: str, server: str) -> None:
        start, end = self.bounds(day)
        span = self.plan.get(day)
        if span is None:
            answers = self._windows(fetch.add, server, day, start, end - timedelta(seconds=1))
            superseded = {a.rel.rsplit("/", 1)[-1] for a in answers if a.info.get("superseded")}
            for entry in fetch.files:
                if entry["name"] in superseded:
                    entry["superseded"] = True
            kept = len(answers) - len(superseded)
            fetch.note(windows=kept, superseded_windows=len(superseded))
        else:
            asked = self._ask(server, span)
            following = self.spans.index(span) + 1
            if following < len(self.spans):
                self._ask(server, self.spans[following])
            got = asked.result()
            if isinstance(got, VendorError):
                raise got
            used = [a for a in got if a.ini < end and a.end >= start]
            for answer in used:
                fetch.reference(
                    answer.rel,
                    **{**answer.info, "records": answer.records_by_day.get(day, 0)},
                    range_records=answer.info.get("records"),
                    window_ini=answer.ini.strftime(STAMP),
                    window_end=answer.end.strftime(STAMP),
                )
            kept = sum(1 for a in used if not a.info.get("superseded"))
            fetch.note(windows=kept, superseded_windows=len(used) - kept, range=f"{span[0]}..{span[1]}")
        fetch.note(
            date_timezone=self.timezone,
            token_uses_today=self.uses.get(datetime.now(start.tzinfo).date().isoformat()),
        )
