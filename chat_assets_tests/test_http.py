"""The HTTP policy: retries with backoff and Retry-After, limits, and redaction everywhere."""

from __future__ import annotations

import logging
import random

import httpx
import pytest

from chat_assets.errors import RateLimitedError, UnavailableError
from chat_assets.http import HttpPolicy, Redactor, VendorHttp

SECRET = "tok-9f8e7d6c5b4a"


def client(handler, sleeps: list[float], **kw) -> VendorHttp:  # type: ignore[no-untyped-def]
    return VendorHttp(
        "jelou",
        "https://vendor.test/api",
        transport=httpx.MockTransport(handler),
        sleep=sleeps.append,
        redactor=Redactor([SECRET]),
        rng=random.Random(1),
        **kw,
    )


def test_retry_after_is_honoured_then_success() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "7"}, json={"message": "slow down"})
        if len(calls) == 2:
            return httpx.Response(503, text="<html>busy</html>")
        return httpx.Response(200, json={"ok": True})

    sleeps: list[float] = []
    http = client(handler, sleeps)
    response = http.request("GET", http.url("/x"), account="bot", day="2025-10-01")
    assert response.status_code == 200 and len(calls) == 3
    assert sleeps[0] == 7.0  # the vendor's Retry-After, exactly
    assert 0.25 <= sleeps[1] <= 1.0  # exponential backoff with jitter for the 503 (attempt 2: base 0.5 * 2)
    assert http.stats.retries == 2 and http.stats.statuses == {"429": 1, "503": 1, "200": 1}


def test_backoff_grows_exponentially_and_gives_up_clearly() -> None:
    sleeps: list[float] = []
    http = client(
        lambda r: httpx.Response(502, text="bad gateway"),
        sleeps,
        policy=HttpPolicy(max_attempts=4, backoff_base=1.0, backoff_max=100),
    )
    with pytest.raises(UnavailableError) as caught:
        http.request("GET", http.url("/x"), account="bot-7", day="2025-10-01")
    assert len(sleeps) == 3
    # base * 2^(attempt-1), with "equal jitter" between half and all of it
    assert all(lo <= s <= hi for s, lo, hi in zip(sleeps, [0.5, 1, 2], [1, 2, 4], strict=True))
    message = str(caught.value)
    assert (
        "[jelou] account bot-7 day 2025-10-01" in message
        and "HTTP 502" in message
        and "What to do" in message
    )


def test_dropped_connections_and_timeouts_are_retried() -> None:
    attempts = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        attempts["n"] += 1
        if attempts["n"] == 1:
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")
        if attempts["n"] == 2:
            raise httpx.ReadTimeout("timed out")
        return httpx.Response(200, json=[])

    sleeps: list[float] = []
    http = client(handler, sleeps)
    assert http.request("POST", http.url("/h"), account=None, day=None, json={}).status_code == 200
    assert attempts["n"] == 3 and len(sleeps) == 2


def test_a_long_retry_after_fails_the_run_instead_of_blocking_it() -> None:
    http = client(lambda r: httpx.Response(429, headers={"Retry-After": "3600"}), [])
    with pytest.raises(RateLimitedError, match="asked to wait 3600 s"):
        http.request("GET", http.url("/x"), account="a", day="2025-10-01")


def test_a_permanent_error_is_returned_not_retried() -> None:
    calls = []
    http = client(
        lambda r: calls.append(r) or httpx.Response(401, json={"message": "Authentication failed"}), []
    )
    assert http.request("GET", http.url("/x"), account="a", day="d").status_code == 401
    assert len(calls) == 1


def test_the_secret_never_reaches_logs_exceptions_or_descriptions(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot connect to {request.url}")

    sleeps: list[float] = []
    http = client(handler, sleeps, policy=HttpPolicy(max_attempts=3))
    params = {"login": "demo", "token": SECRET}
    with pytest.raises(UnavailableError) as caught:
        http.request("GET", http.url("/report/"), params=params, account="5730", day="2025-10-01")
    description = http.describe("GET", http.url("/report/"), params)
    assert "token=***" in description["url"]
    everything = " ".join([str(caught.value), repr(caught.value), caplog.text, str(description)])
    assert SECRET not in everything
    assert "***" in caplog.text  # the retries were logged, redacted
    assert SECRET not in str(caught.value.__cause__) and SECRET not in str(caught.value.__context__)


def test_redactor_covers_encoded_and_basic_auth_forms() -> None:
    redact = Redactor(["a b/c+d"], basic_auth=("user", "p@ss word"))
    text = "q=a+b%2Fc%2Bd raw=a b/c+d auth=Basic dXNlcjpwQHNzIHdvcmQ= pw=p%40ss+word"
    cleaned = redact(text)
    assert "a b/c+d" not in cleaned and "dXNlcjpwQHNzIHdvcmQ=" not in cleaned and "p%40ss" not in cleaned
    assert cleaned.count("***") == 4


def test_bounded_concurrency() -> None:
    import threading
    import time

    active, peak = {"n": 0}, {"n": 0}
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            active["n"] += 1
            peak["n"] = max(peak["n"], active["n"])
        time.sleep(0.02)
        with lock:
            active["n"] -= 1
        return httpx.Response(200)

    http = client(handler, [], policy=HttpPolicy(max_concurrency=2))
    threads = [
        threading.Thread(
            target=http.request, args=("GET", http.url("/x")), kwargs={"account": None, "day": None}
        )
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak["n"] == 2
