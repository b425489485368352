"""Wannabot history client: one POST per session id, with bounded concurrency."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

from chat_assets.errors import AuthError, PayloadError, VendorError
from chat_assets.http import HttpPolicy, Redactor, VendorHttp
from chat_assets.vendor_client import HttpVendorClient, VendorResource
from chat_assets.wannabot.registry import Session

VENDOR = "wannabot"
PATH = "/v1/conversation/history"


class WannabotResource(VendorResource):
    """Wannabot API key (WANNABOT_API_KEY, read only through EnvVar) and fetch concurrency.

    Its accounts (bots) are not configured but discovered from each session's answer, and its
    client fetches sessions, not account-days: the raw asset is its own (see assets.py).
    """

    base_url: str
    api_key: str
    concurrency: int = 4

    def client(self, transport: httpx.BaseTransport | None = None) -> WannabotClient:
        return WannabotClient(self.base_url, self.api_key, concurrency=self.concurrency, transport=transport)


@dataclass
class SessionResult:
    session: Session
    status: int
    body: bytes
    bot: str | None = None
    error: VendorError | None = None
    #: The vendor does not know this session (404): reported, retried by a later run, never blocking the day.
    missing: bool = False


class WannabotClient(HttpVendorClient):
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        concurrency: int = 4,
        policy: HttpPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        self.concurrency = max(1, concurrency)
        self.redact = Redactor([api_key])
        self.http = VendorHttp(
            VENDOR,
            base_url,
            policy=policy or HttpPolicy(max_concurrency=self.concurrency),
            redactor=self.redact,
            headers={"Authorization": f"bearer {api_key}"},
            transport=transport,
        )
        self.url = self.http.url(PATH)
        self._pool: ThreadPoolExecutor | None = None

    def describe(self, session_id: str) -> dict[str, object]:
        return self.http.describe("POST", self.url, body={"session_id": session_id})

    def _one(self, session: Session) -> SessionResult:
        try:
            return self._ask(session)
        except (
            VendorError
        ) as error:  # refused redirect, body over the cap, retries spent: this session's outcome
            return SessionResult(session, 0, b"", error=error)

    def _ask(self, session: Session) -> SessionResult:
        response = self.http.request(
            "POST", self.url, json={"session_id": session.session_id}, account=None, day=session.day
        )
        result = SessionResult(session, response.status_code, response.content)
        where = f"session {session.session_id} (registry {session.source}, line {session.line})"
        if response.status_code == 401:
            result.error = AuthError(
                VENDOR,
                None,
                session.day,
                "Wannabot rejected the API key (401)",
                action="Check WANNABOT_API_KEY in .env.",
            )
            return result
        if response.status_code == 404:
            result.missing = True
            result.error = PayloadError(
                VENDOR,
                None,
                session.day,
                f"Wannabot does not know {where}",
                action="Check the registry line: the session id is wrong or was deleted. "
                "The day's other sessions were stored.",
            )
            return result
        try:
            messages = json.loads(response.content)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than any history
            messages = None
        if response.status_code != 200 or not isinstance(messages, list):
            result.error = PayloadError(
                VENDOR,
                None,
                session.day,
                f"{where} answered HTTP {response.status_code} without the documented list",
            )
            return result
        ids = [m["bot"].get("id") for m in messages if isinstance(m, dict) and isinstance(m.get("bot"), dict)]
        if any(not isinstance(i, str | None) for i in ids):
            result.error = PayloadError(VENDOR, None, session.day, f"{where} has a bot.id that is not text")
            return result
        bots = {i for i in ids if i}
        if len(bots) > 1:
            result.error = PayloadError(VENDOR, None, session.day, f"{where} mixes bots {sorted(bots)}")
            return result
        result.bot = bots.pop() if bots else "unknown-bot"
        if not isinstance(result.bot, str) or not result.bot:
            result.error = PayloadError(VENDOR, None, session.day, f"{where} has a bot.id that is not text")
        return result

    def submit(self, sessions: list[Session]) -> Callable[[], list[SessionResult]]:
        """Start fetching `sessions` on the client's pool; call the result to wait for them, in order.

        One pool for the client's life: a backfill queues the next days' sessions behind this
        day's, so the concurrency slots never idle at a day's last few sessions.
        """
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix=VENDOR)
        futures = [self._pool.submit(self._one, session) for session in sessions]
        return lambda: [future.result() for future in futures]

    def fetch(self, sessions: list[Session]) -> list[SessionResult]:
        return self.submit(sessions)()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        super().close()
