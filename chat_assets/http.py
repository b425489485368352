"""The one HTTP policy every vendor client uses.

Timeouts, retries of 429 / 5xx / timeouts / dropped or truncated connections with exponential
backoff, jitter and `Retry-After`, optional pacing (a limiter) and exclusive token use, bounded
concurrency, and redaction: every URL, header and message that can reach a log line, a manifest,
metadata or an exception goes through the client's `Redactor` first. httpx's own request
logging is silenced because it prints full URLs, and Multichat's token travels in the query
string.
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

import httpx

from chat_assets.errors import PayloadError, RateLimitedError, UnavailableError
from chat_assets.limits import limits

log = logging.getLogger("chat_assets.http")
for _noisy in ("httpx", "httpcore"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)

REDACTED = "***"


class Redactor:
    """Replaces every known secret, in the forms it can take on the wire, by `***`."""

    def __init__(self, secrets: Iterable[str] = (), basic_auth: tuple[str, str] | None = None):
        forms: set[str] = set()
        for secret in secrets:
            if secret and len(secret) >= 3:
                forms.update({secret, quote(secret, safe=""), quote_plus(secret)})
        if basic_auth:
            user, password = basic_auth
            forms.add(base64.b64encode(f"{user}:{password}".encode()).decode())
            if password and len(password) >= 3:
                forms.update({password, quote(password, safe=""), quote_plus(password)})
        # Longest first, so a secret that contains another is replaced whole.
        self.forms = sorted(forms, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for form in self.forms:
            if form in text:
                text = text.replace(form, REDACTED)
        return text


@dataclass(frozen=True)
class HttpPolicy:
    connect_timeout: float = 10.0
    read_timeout: float = 90.0
    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    #: A Retry-After longer than this is not waited out inside a run: the run fails as rate limited.
    retry_after_max: float = 120.0
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})
    max_concurrency: int = 4


@dataclass
class CallStats:
    requests: int = 0
    retries: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    waited_s: float = 0.0

    def as_metadata(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "statuses": dict(sorted(self.statuses.items())),
            "waited_s": round(self.waited_s, 3),
        }


def retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class VendorHttp:
    """An httpx client bound to one vendor's base URL, secrets and limits."""

    def __init__(
        self,
        vendor: str,
        base_url: str,
        *,
        policy: HttpPolicy | None = None,
        redactor: Redactor | None = None,
        headers: dict[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        limiter: Any | None = None,
        exclusive: Callable[[], AbstractContextManager[Any]] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ):
        self.vendor = vendor
        self.base_url = base_url.rstrip("/")
        self.policy = policy or HttpPolicy()
        self.redact = redactor or Redactor()
        self.limiter = limiter
        self.exclusive = exclusive
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.stats = CallStats()
        self._stats_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(self.policy.max_concurrency)
        self.client = httpx.Client(
            headers=headers,
            auth=auth,
            transport=transport,
            timeout=httpx.Timeout(self.policy.read_timeout, connect=self.policy.connect_timeout),
            # Redirects are followed here, by `_send`, so credentials never travel to another origin.
            follow_redirects=False,
        )
        self.limits = limits()
        #: Whether requests carry a credential in their headers (a token header, Basic auth).
        self.credentialed = bool(auth) or bool(headers)

    def __enter__(self) -> VendorHttp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}" if path else self.base_url

    def describe(
        self, method: str, url: str, params: dict[str, Any] | None = None, body: Any = None
    ) -> dict[str, Any]:
        """A redacted description of a request, for manifests and metadata."""
        full = url + ("?" + urlencode(params) if params else "")
        out: dict[str, Any] = {"method": method, "url": self.redact(full)}
        if body is not None:
            out["body"] = self.redact(str(body))
        return out

    def _backoff(self, attempt: int) -> float:
        delay = min(self.policy.backoff_max, self.policy.backoff_base * (2 ** (attempt - 1)))
        return delay * (0.5 + self.rng.random() / 2)  # "equal jitter": never less than half

    def _count(self, status: str, retried: bool, waited: float = 0.0) -> None:
        with self._stats_lock:
            self.stats.requests += 1
            self.stats.statuses[status] += 1
            self.stats.retries += int(retried)
            self.stats.waited_s += waited

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None,
        json: Any,
        headers: dict[str, str] | None,
        account: str | None,
        day: str | None,
    ) -> httpx.Response:
        """One request, its redirects followed by hand (at most 5), its body read up to the cap.

        A redirect to another origin (scheme, host or port) is refused when the request carries a
        credential (a token header, Basic auth, query parameters such as Multichat's token): the
        credential would travel with it. Plain downloads may follow it.
        """
        request = self.client.build_request(method, url, params=params, json=json, headers=headers)
        origin = request.url.copy_with(path="/", query=None, fragment=None)
        carries_secret = self.credentialed or bool(params)
        for _hop in range(6):
            response = self.client.send(request, stream=True)
            try:
                body = self._read_capped(response, account, day)
            finally:
                response.close()
            if not response.is_redirect or "location" not in response.headers:
                return httpx.Response(
                    response.status_code,
                    headers=_plain_headers(response.headers),
                    content=body,
                    request=request,
                )
            target = request.url.join(response.headers["location"])
            if target.copy_with(path="/", query=None, fragment=None) != origin and carries_secret:
                raise PayloadError(
                    self.vendor,
                    account,
                    day,
                    f"the vendor redirected to another origin ({target.scheme}://{target.host}:{target.port or ''}); "
                    "the request carries credentials, so it was not followed",
                    action="Check the *_BASE_URL: it should be the vendor's own host. A proxy that redirects "
                    "elsewhere would receive the credentials.",
                )
            same = target.copy_with(path="/", query=None, fragment=None) == origin
            keep = (
                request.headers
                if same
                else {
                    k: v for k, v in request.headers.items() if k.lower() not in ("authorization", "cookie")
                }
            )
            method_next = (
                "GET"
                if response.status_code in (301, 302, 303) and request.method == "POST"
                else request.method
            )
            request = self.client.build_request(
                method_next,
                target,
                headers=keep,
                content=request.content if method_next == request.method else None,
            )
        raise PayloadError(self.vendor, account, day, "more than 5 redirects")

    def _read_capped(self, response: httpx.Response, account: str | None, day: str | None) -> bytes:
        cap = self.limits.max_body_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise PayloadError(
                self.vendor,
                account,
                day,
                self.limits.body_error(int(declared)),
                action="Raise CHAT_ASSETS_MAX_BODY_MB if the vendor really sends this much.",
            )
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > cap:
                raise PayloadError(
                    self.vendor,
                    account,
                    day,
                    self.limits.body_error(size),
                    action="Raise CHAT_ASSETS_MAX_BODY_MB if the vendor really sends this much.",
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def request(
        self,
        method: str,
        url: str,
        *,
        account: str | None,
        day: str | None,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        retry_on: Callable[[httpx.Response], bool] | None = None,
    ) -> httpx.Response:
        """Send with the policy; returns the final response (any status the caller must judge).

        Retries: statuses in the policy, responses `retry_on` says are transient, timeouts and
        broken connections (including a body cut short). Raises RateLimitedError or
        UnavailableError, with redacted text, when the attempts run out.
        """
        last_problem = ""
        last_status: int | None = None
        for attempt in range(1, self.policy.max_attempts + 1):
            waited = 0.0
            if self.limiter is not None:
                waited = self.limiter.acquire()
            guard = self.exclusive() if self.exclusive else contextlib.nullcontext()
            response: httpx.Response | None = None
            try:
                with self._slots, guard:
                    response = self._send(
                        method, url, params=params, json=json, headers=headers, account=account, day=day
                    )
            except httpx.TransportError as exc:
                last_problem = f"{type(exc).__name__}: {self.redact(str(exc))}"
                last_status = None
                self._count(type(exc).__name__, attempt < self.policy.max_attempts, waited)
                delay = self._backoff(attempt)
            else:
                last_status = response.status_code
                transient = response.status_code in self.policy.retry_statuses or bool(
                    retry_on and retry_on(response)
                )
                self._count(
                    str(response.status_code), transient and attempt < self.policy.max_attempts, waited
                )
                if not transient:
                    return response
                # Redact first, then cut: a cut must never leave the start of a token behind.
                last_problem = f"HTTP {response.status_code}: {self.redact(response.text)[:200]}"
                hinted = retry_after_seconds(response)
                if hinted is not None and hinted > self.policy.retry_after_max:
                    raise RateLimitedError(
                        self.vendor,
                        account,
                        day,
                        f"the vendor asked to wait {hinted:.0f} s (Retry-After), longer than we wait inside a run",
                        action=f"Re-run the partition after {hinted:.0f} s.",
                    )
                delay = hinted if hinted is not None else self._backoff(attempt)
            if attempt == self.policy.max_attempts:
                break
            log.warning(
                "%s: %s %s failed (%s); retry %d/%d in %.2fs",
                self.vendor,
                method,
                self.redact(str(httpx.URL(url, params=params))),
                last_problem,
                attempt,
                self.policy.max_attempts - 1,
                delay,
            )
            self.sleep(delay)
        if last_status == 429:
            raise RateLimitedError(
                self.vendor,
                account,
                day,
                f"still rate limited after {self.policy.max_attempts} attempts ({last_problem})",
            )
        raise UnavailableError(
            self.vendor,
            account,
            day,
            f"no good answer after {self.policy.max_attempts} attempts (last: {last_problem})",
        )


def _plain_headers(headers: httpx.Headers) -> list[tuple[str, str]]:
    """The answer's headers as they describe the bytes we now hold (already decoded, whole)."""
    return [
        (k, v)
        for k, v in headers.multi_items()
        if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
