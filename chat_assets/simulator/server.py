"""The vendor simulator's HTTP server: one real server on loopback, one path prefix per vendor.

Vendor behaviour lives in each vendor's folder (`chat_assets/<vendor>/simulator.py`, a class
with a `prefix` and a `handle(request)`); this module routes to them and adds what is common:
the chaos option (a share of requests answer 5xx, 429 with Retry-After, slowly, with a dropped
connection or a truncated body), violation counters readable at `GET /_sim/counters`, and the
configuration every fake API reads.
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

CHAOS_FAULTS = ("500", "502", "503", "429", "slow", "drop", "truncate")


#: Faithful renderings of the same vendor documents (see `chat_assets/simulator/rendering.py`).
VARIANTS = ("default", "independent", "spreadsheet")


@dataclass
class SimulatorConfig:
    seed: int = 7
    #: Which faithful rendering of the documents to serve: the pipeline must store the same rows for each.
    variant: str = "default"
    #: Conversations per account per day (inclusive range).
    volume: tuple[int, int] = (1000, 5000)
    timezone: str = "America/Bogota"
    #: The simulator's "today" (Multichat's date rule); None means the real date in `timezone`.
    today: date | None = None
    link_ttl_s: float = 3600.0
    chaos: float = 0.0
    chaos_faults: tuple[str, ...] = CHAOS_FAULTS
    slow_s: float = 1.0
    #: Seconds every vendor request waits before it is answered (a real API's round trip): how the
    #: backfill benchmark (`python -m benchmarks.backfill`) sets the cost of one request.
    latency_s: float = 0.0
    wolkvox_max_records: int = 60_000
    wolkvox_max_days: int = 31
    wolkvox_hold_s: float = 0.02
    wolkvox_daily_quota: int = 1000
    neoagent_max_days: int = 31
    neoagent_rate: tuple[int, float] = (10, 60.0)
    #: Vendors that answer every request with an HTML page and HTTP 200 (a broken gateway, a login
    #: page): how a test shows one vendor's trouble never stops another's tables. `/_sim/garbage?vendors=`.
    garbage: set[str] = field(default_factory=set)
    #: When set, only requests whose decoded path and query contain it answer garbage (one day of a
    #: vendor, e.g. `startAt=2025-10-03T`): how a test breaks a single account-day of a backfill.
    garbage_match: str = ""
    credentials: dict[str, str] = field(
        default_factory=lambda: {
            "MULTICHAT_LOGIN": "demo@chat-assets.test",
            "MULTICHAT_TOKEN": "mc-7f3a9c0e51d24b8f",
            "WOLKVOX_TOKEN": "wv-9d1e4c7a2b6f3e80",
            "JELOU_USERNAME": "chat-assets",
            "JELOU_PASSWORD": "jl-p4ss-5e8b1f",
            "NEOAGENT_API_KEY": "na-sk-3c9d7e1f0a2b4c6d",
            "WANNABOT_API_KEY": "wb-0e9f8a7b6c5d4e3f",
        }
    )
    accounts: dict[str, list[str]] = field(
        default_factory=lambda: {
            "multichat": ["573007735764", "573102111111"],
            "wolkvox": ["0042"],
            "jelou": ["bot-4f1c2a9e-71d3-4b0e-9a55-2c6e8d3f1a07", "bot-9b7e6d5c-1a2b-4c3d-8e9f-0a1b2c3d4e5f"],
            "neoagent": ["36XXGxiYDigrQgg5xz4n45bcBW7qeYyW35", "41ABcdEfGhIjKlMnOpQrStUvWxYz012345"],
            "wannabot": ["1afc95aa3fc15b000118d69c", "5e2d8c4b9a7f1e3d6c0b2a48"],
        }
    )

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(
                f"unknown simulator variant {self.variant!r}; choose one of {', '.join(VARIANTS)}"
            )

    def today_local(self) -> date:
        return self.today or datetime.now(ZoneInfo(self.timezone)).date()


@dataclass
class SimRequest:
    method: str
    path: str  # below the vendor prefix, e.g. "/v1/conversation/history"
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    base_url: str  # scheme://host:port + vendor prefix, for links the vendor returns

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class SimResponse:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, escape_slashes: bool = False) -> SimResponse:
        text = json.dumps(payload, ensure_ascii=False)
        if escape_slashes:
            text = text.replace("/", "\\/")
        return cls(status, text.encode("utf-8"))


class FakeApi(Protocol):
    prefix: str

    def handle(self, request: SimRequest) -> SimResponse: ...


class Counters:
    """Counts what a test wants to see stay at zero, plus request totals per vendor."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.values: Counter[str] = Counter()
        self.spans: dict[str, tuple[float, float]] = {}
        self.serving: Counter[str] = Counter()

    def add(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.values[name] += n

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return dict(self.values)

    def reset(self) -> None:
        with self.lock:
            self.values.clear()
            self.spans.clear()
            self.serving.clear()

    def started(self, vendor: str) -> None:
        """When a vendor's first request arrived and its last answer left: the fetch as the API saw it."""
        now = time.monotonic()
        with self.lock:
            first, last = self.spans.get(vendor, (now, now))
            self.spans[vendor] = (min(first, now), last)

    def ended(self, vendor: str) -> None:
        now = time.monotonic()
        with self.lock:
            first, last = self.spans.get(vendor, (now, now))
            self.spans[vendor] = (first, max(last, now))

    def served(self, vendor: str, seconds: float) -> None:
        """Time one request of the vendor took to serve: the latency plus rendering and sending the answer."""
        with self.lock:
            self.serving[vendor] += seconds

    def served_s(self, vendor: str) -> float:
        with self.lock:
            return float(self.serving[vendor])

    def span_s(self, vendor: str) -> float:
        with self.lock:
            first, last = self.spans.get(vendor, (0.0, 0.0))
            return last - first


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], config: SimulatorConfig, apis: list[FakeApi]):
        super().__init__(address, _Handler)
        self.config = config
        self.apis = sorted(apis, key=lambda api: len(api.prefix), reverse=True)
        self.counters = Counters()
        self.chaos_rng = random.Random(config.seed + 1)
        self.chaos_lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def pick_fault(self) -> str | None:
        if self.config.chaos <= 0:
            return None
        with self.chaos_lock:
            if self.chaos_rng.random() >= self.config.chaos:
                return None
            return self.chaos_rng.choice(self.config.chaos_faults)


class _Handler(BaseHTTPRequestHandler):
    server: SimulatorServer
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; with Nagle's algorithm the body waited for the
    # client's delayed ACK, 40 ms on every answer on top of the configured latency.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # the simulator is quiet
        pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _send(self, response: SimResponse, truncate: bool = False) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if truncate:
            self.wfile.write(response.body[: max(1, len(response.body) // 2)])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        else:
            self.wfile.write(response.body)

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        if self.command == "POST" and self.headers.get("Content-Type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            query.update({k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()})
        if parts.path.startswith("/_sim/"):
            self._send(self._control(parts.path, query))
            return
        api = next(
            (a for a in self.server.apis if parts.path.startswith(a.prefix + "/") or parts.path == a.prefix),
            None,
        )
        if api is None:
            self._send(SimResponse(404, b"<html><body>Not Found</body></html>", "text/html"))
            return
        vendor = api.prefix.strip("/").split("/")[0]
        self.server.counters.add(f"{vendor}_requests")
        self.server.counters.started(vendor)
        began = time.monotonic()
        try:
            self._serve(api, vendor, parts, query, body)
        finally:
            self.server.counters.served(vendor, time.monotonic() - began)
            self.server.counters.ended(vendor)

    def _serve(
        self, api: FakeApi, vendor: str, parts: SplitResult, query: dict[str, str], body: bytes
    ) -> None:
        if self.server.config.latency_s > 0:
            time.sleep(self.server.config.latency_s)
        request = SimRequest(
            method=self.command,
            path=parts.path[len(api.prefix) :] or "/",
            query=query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            base_url=f"{self.server.url}{api.prefix}",
        )
        if (
            vendor in self.server.config.garbage
            and not request.path.startswith("/_sim")
            and self.server.config.garbage_match in unquote(self.path)
        ):
            self.server.counters.add(f"{vendor}_garbage")
            self._send(
                SimResponse(200, b"<html><body><h1>Mantenimiento programado</h1></body></html>", "text/html")
            )
            return
        fault = None if request.path.startswith("/_sim") else self.server.pick_fault()
        if fault:
            self.server.counters.add("chaos_faults")
        if fault in ("500", "502", "503"):
            self._send(SimResponse(int(fault), b"<html><body>Bad Gateway</body></html>", "text/html"))
            return
        if fault == "429":
            self._send(SimResponse(429, b'{"message":"Too Many Requests"}', headers={"Retry-After": "1"}))
            return
        if fault == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault == "slow":
            time.sleep(self.server.config.slow_s)
        response = api.handle(request)
        self._send(response, truncate=fault == "truncate")

    def _control(self, path: str, query: dict[str, str]) -> SimResponse:
        if path == "/_sim/counters":
            return SimResponse.json(200, self.server.counters.snapshot())
        if path == "/_sim/reset":
            self.server.counters.reset()
            return SimResponse.json(200, {"reset": True})
        if path == "/_sim/garbage":
            self.server.config.garbage = {v for v in query.get("vendors", "").split(",") if v}
            self.server.config.garbage_match = query.get("match", "")
            return SimResponse.json(200, {"garbage": sorted(self.server.config.garbage)})
        if path == "/_sim/config":
            cfg = self.server.config
            return SimResponse.json(
                200,
                {
                    "seed": cfg.seed,
                    "volume": list(cfg.volume),
                    "timezone": cfg.timezone,
                    "today": cfg.today_local().isoformat(),
                    "chaos": cfg.chaos,
                    "variant": cfg.variant,
                },
            )
        return SimResponse.json(404, {"error": f"unknown control path {path}"})
