"""Jelou history client: a bot's local day as ISO 8601 bounds, pages of 50 until `totalPages`.

Page 1 tells how many pages there are; the rest are fetched with bounded concurrency. The
password never leaves the Basic header, and the redactor knows the header's base64 form too.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx

from chat_assets.errors import AccountNotFoundError, AuthError, PayloadError, RequestRejectedError
from chat_assets.http import HttpPolicy, Redactor, VendorHttp
from chat_assets.partitions import day_bounds, shifted
from chat_assets.storage import RawFetch
from chat_assets.vendor_client import HttpVendorClient, VendorResource, split_list

VENDOR = "jelou"
PAGE_SIZE = 50
#: A day whose pages contradict themselves (a page empty before totalPages, totals that disagree)
#: is fetched again this many times in all before it fails: never a complete day with fewer messages.
PAGINATION_ATTEMPTS = 3


def day_range(day: str, tz: str) -> tuple[str, str]:
    """`startAt` and `endAt` of a day: its first and last millisecond, each with its own offset."""
    start, end = day_bounds(day, tz)
    last = shifted(end, -timedelta(milliseconds=1))  # on the time line: a 25-hour day keeps its last hour
    return start.isoformat(timespec="milliseconds"), last.isoformat(timespec="milliseconds")


class JelouResource(VendorResource):
    """Jelou credentials (JELOU_*); the password is only ever read through EnvVar."""

    base_url: str
    username: str
    password: str
    bot_ids: str
    concurrency: int = 4
    #: Minutes of silence that end a conversation (Jelou has no conversation id).
    silence_minutes: int = 30

    def accounts(self) -> list[str]:
        return split_list(self.bot_ids)

    def client(self, transport: httpx.BaseTransport | None = None) -> JelouClient:
        return JelouClient(
            self.base_url,
            self.username,
            self.password,
            self.store.timezone,
            concurrency=self.concurrency,
            transport=transport,
        )


class JelouClient(HttpVendorClient):
    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        timezone: str,
        *,
        concurrency: int = 4,
        policy: HttpPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        self.timezone = timezone
        self.concurrency = max(1, concurrency)
        self.redact = Redactor(basic_auth=(username, password))
        policy = policy or HttpPolicy(max_concurrency=self.concurrency)
        self.http = VendorHttp(
            VENDOR,
            base_url,
            policy=policy,
            redactor=self.redact,
            auth=(username, password),
            transport=transport,
        )
        # A day is often one or two pages: several days at once keep the HTTP cap's slots busy.
        self.account_days_at_once = self.concurrency

    def bounds(self, day: str) -> tuple[str, str]:
        return day_range(day, self.timezone)

    def _params(self, day: str, page: int) -> dict[str, object]:
        start, end = self.bounds(day)
        return {"limit": PAGE_SIZE, "page": page, "startAt": start, "endAt": end}

    def describe(self, day: str, bot: str) -> dict[str, object]:
        return self.http.describe(
            "GET", self.http.url(f"/v1/external/messages/history/{bot}"), self._params(day, 1)
        )

    def _get(self, bot: str, day: str, page: int) -> httpx.Response:
        url = self.http.url(f"/v1/external/messages/history/{bot}")
        return self.http.request("GET", url, params=self._params(day, page), account=bot, day=day)

    def _check(self, fetch: RawFetch, response: httpx.Response, bot: str, day: str, page: int) -> dict:
        name = f"page-{page:04d}.json"
        try:
            body = json.loads(response.content)
        except (ValueError, RecursionError):
            body = None
        results = body.get("results") if isinstance(body, dict) else None
        fetch.add(
            name,
            response.content,
            status=response.status_code,
            records=len(results) if isinstance(results, list) else None,
        )
        status = response.status_code
        if status == 200 and isinstance(results, list) and isinstance(body.get("pagination"), dict):
            return body
        if status == 401:
            raise AuthError(
                VENDOR,
                bot,
                day,
                "Jelou answered 401 'Authentication failed'",
                action="Check JELOU_USERNAME and JELOU_PASSWORD in .env.",
            )
        error = body.get("error", {}) if isinstance(body, dict) else {}
        if status == 404:
            raise AccountNotFoundError(
                VENDOR,
                bot,
                day,
                f"Jelou does not know bot '{bot}' ({error.get('key', 'not found')})",
                action="Check JELOU_BOT_IDS: the bot id is wrong or the bot was deleted.",
            )
        if status == 422:
            detail = (
                json.dumps(body.get("validationError", {}), ensure_ascii=False)
                if isinstance(body, dict)
                else ""
            )
            raise RequestRejectedError(VENDOR, bot, day, f"Jelou rejected the request (422): {detail[:300]}")
        raise PayloadError(
            VENDOR,
            bot,
            day,
            f"page {page} answered HTTP {status} without the documented `pagination` and `results`",
        )

    def _pages(self, fetch: RawFetch, bot: str, day: str) -> tuple[dict, list[tuple[int, dict]]]:
        first = self._check(fetch, self._get(bot, day, 1), bot, day, 1)
        pages = int(first["pagination"].get("totalPages") or 0)
        rest = list(range(2, pages + 1))
        with ThreadPoolExecutor(self.concurrency) as pool:
            responses = list(pool.map(lambda p: self._get(bot, day, p), rest))
        bodies = [(1, first)] + [
            (page, self._check(fetch, response, bot, day, page))
            for page, response in zip(rest, responses, strict=True)
        ]
        return first, bodies

    @staticmethod
    def contradiction(first: dict, bodies: list[tuple[int, dict]]) -> str | None:
        """What makes a day's pages contradict themselves, or None: every page before the last is
        full, the last is not empty, and the pages hold `total` messages."""
        pagination = first["pagination"]
        pages, total = int(pagination.get("totalPages") or 0), pagination.get("total")
        limit = int(pagination.get("limit") or PAGE_SIZE)
        for page, body in bodies:
            n = len(body["results"])
            if page < pages and n != limit:
                return f"page {page} of {pages} holds {n} messages, not {limit}"
            if page == pages and n == 0:
                return f"the last page ({page} of {pages}) is empty"
        arrived = sum(len(body["results"]) for _, body in bodies)
        if isinstance(total, int) and total != arrived:
            return f"pagination.total says {total} messages but the {len(bodies)} page(s) hold {arrived}"
        return None

    def fetch_day(self, fetch: RawFetch, day: str, bot: str) -> None:
        problem = None
        for _attempt in range(PAGINATION_ATTEMPTS):
            kept_before = len(fetch.files)
            first, bodies = self._pages(fetch, bot, day)
            problem = self.contradiction(first, bodies)
            if problem is None:
                break
            # Keep what arrived (raw bytes are never dropped) but never read it as the day.
            for entry in fetch.files[kept_before:]:
                entry["superseded"] = problem
        if problem is not None:
            raise PayloadError(
                VENDOR,
                bot,
                day,
                f"the pages contradict themselves after {PAGINATION_ATTEMPTS} tries: {problem}",
                action="Re-run the partition later; if it persists, report it to Jelou with the kept pages.",
            )
        fetch.note(
            pages=max(int(first["pagination"].get("totalPages") or 0), 1),
            total=first["pagination"].get("total"),
            startAt=self.bounds(day)[0],
            endAt=self.bounds(day)[1],
        )
