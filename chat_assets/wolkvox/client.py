"""Wolkvox `chat_2` client: a day as local-time windows, one caller per token, paced.

- One caller at a time per token, across threads and processes (`SharedLock`), behind the
  Dagster pool `wolkvox` that serializes runs; a 403 for overlapping use still waits and retries.
- Pacing between calls (`min_interval_s`) and a per-day count of token uses (the vendor's daily
  quota), recorded in every manifest.
- A window whose answer comes near the 60,000-record cap is split in halves and fetched again;
  its bytes are kept but marked superseded. HTTP 404 about the dates is an empty window.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from chat_assets.errors import AuthError, PayloadError, QuotaExhaustedError, RequestRejectedError
from chat_assets.http import HttpPolicy, Redactor, VendorHttp
from chat_assets.partitions import day_bounds
from chat_assets.ratelimit import Counter, SharedState, TokenBucket, as_state, digest
from chat_assets.storage import RawFetch
from chat_assets.vendor_client import HttpVendorClient, VendorResource

VENDOR = "wolkvox"
PATH = "/api/v2/reports_manager.php"
STAMP = "%Y%m%d%H%M%S"
_RECORDS = re.compile(r"(\d+)\s+records?", re.IGNORECASE)


class WolkvoxResource(VendorResource):
    """Wolkvox credentials (WOLKVOX_*); the token is only ever read through EnvVar."""

    base_url: str
    server: str
    token: str
    #: WOLKVOX_TIMEZONE: the zone the vendor reads `date_ini`/`date_end` in; empty means the project's.
    vendor_timezone: str = ""
    max_records: int = 60_000
    min_interval_s: float = 1.0
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
            state=self.store.shared_state(),
            max_records=self.max_records,
            min_interval_s=self.min_interval_s,
            daily_quota=self.daily_quota,
            server=self.server,
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
        state: SharedState | Path,
        max_records: int = 60_000,
        min_interval_s: float = 1.0,
        daily_quota: int = 1000,
        server: str = "",
        policy: HttpPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        self.timezone = timezone
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

    def describe(self, day: str, server: str) -> dict[str, object]:
        start, end = day_bounds(day, self.timezone)
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

    def _window(
        self, fetch: RawFetch, server: str, day: str, ini: datetime, end: datetime
    ) -> tuple[int, str]:
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
                fetch.add(name, body, status=status, records=None)
                raise PayloadError(
                    VENDOR, server, day, f"window {name} is not the documented JSON object with a `data` list"
                )
            records = sum(len(c.get("conversation") or []) for c in parsed["data"] if isinstance(c, dict))
            match = _RECORDS.search(message)
            reported = int(match.group(1)) if match else records
            fetch.add(
                name, body, status=status, records=records, reported_records=reported, token_uses_today=used
            )
            return max(records, reported), name
        fetch.add(name, body, status=status, records=0, token_uses_today=used)
        upper = message.upper()
        if status == 404 and isinstance(parsed, dict) and ("RECORD" in upper or "DATE" in upper):
            # The documented "no records, validate the dates" answer: an empty window, not a failure. Any
            # other 404 (an HTML page, an empty body, an unknown route) is an error, never an empty day.
            return 0, name
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

    def fetch_day(self, fetch: RawFetch, day: str, server: str) -> None:
        start, end = day_bounds(day, self.timezone)
        pending = [(start, end - timedelta(seconds=1))]
        kept, superseded, split_at = 0, [], 0.9 * self.max_records
        while pending:
            ini, stop = pending.pop(0)
            records, name = self._window(fetch, server, day, ini, stop)
            if records >= split_at and stop - ini > timedelta(minutes=1):
                middle = ini + (stop - ini) / 2
                middle = middle.replace(microsecond=0)
                pending[:0] = [(ini, middle), (middle + timedelta(seconds=1), stop)]
                superseded.append(name)
                continue
            if records >= split_at:
                raise PayloadError(
                    VENDOR,
                    server,
                    day,
                    f"window {name} hit the {self.max_records}-record cap even at one minute",
                )
            kept += 1
        for entry in fetch.files:
            if entry["name"] in superseded:
                entry["superseded"] = True
        fetch.note(
            windows=kept,
            superseded_windows=len(superseded),
            date_timezone=self.timezone,
            token_uses_today=self.uses.get(datetime.now(start.tzinfo).date().isoformat()),
        )
