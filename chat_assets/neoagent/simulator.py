"""Fake Neoagent ChatContentHistory API (shared/providers/neoagent.txt and NOTES.md).

`POST <prefix>/chat/Chatbot/ChatContentHistory` with `Authorization: <key>` and a JSON body of
SerialNumber and UTC `YYYY-MM-DD` StartTime/EndTime (inclusive). Sessions are kept when their
`CreateTime` falls in the range. Errors come as `Success:false` with Code/Message: 401 key,
404 chatbot (with HTTP 200, as vendors of this kind do), 400 dates, 413 when the range is wider
than `neoagent_max_days`, and 429 past `neoagent_rate` requests per window, which also counts a
violation (`neoagent_rate_violations`).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from datetime import UTC, date, timedelta
from typing import Any

from chat_assets.simulator.rendering import conversations, days_between, json_answer, without
from chat_assets.simulator.server import Counters, SimRequest, SimResponse, SimulatorConfig

PATH = "/chat/Chatbot/ChatContentHistory"


def _result(status: int, code: int, message: str, data: Any = None, success: bool = False) -> SimResponse:
    return SimResponse.json(
        status, {"Data": data, "Version": "1.0.0", "Success": success, "Code": code, "Message": message}
    )


def create_time(moment) -> str:  # type: ignore[no-untyped-def]
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class NeoagentApi:
    prefix = "/neoagent"

    def __init__(self, config: SimulatorConfig, counters: Counters):
        self.config = config
        self.counters = counters
        self.lock = threading.Lock()
        self.calls: deque[float] = deque()

    def _over_rate(self) -> bool:
        limit, period = self.config.neoagent_rate
        now = time.monotonic()
        with self.lock:
            while self.calls and now - self.calls[0] >= period:
                self.calls.popleft()
            if len(self.calls) >= limit:
                return True
            self.calls.append(now)
            return False

    def handle(self, request: SimRequest) -> SimResponse:
        if request.path.rstrip("/") != PATH or request.method != "POST":
            return SimResponse(404, b"<html><body>Not Found</body></html>", "text/html")
        if (
            request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            != self.config.credentials["NEOAGENT_API_KEY"]
        ):
            return _result(401, 401, "Clave API no válida")
        if self._over_rate():
            self.counters.add("neoagent_rate_violations")
            return _result(429, 429, "Demasiadas solicitudes: máximo 10 por minuto")
        try:
            body = request.json()
            serial = body["SerialNumber"]
        except (ValueError, KeyError, TypeError):
            return _result(400, 400, "Parámetros no válidos: SerialNumber es obligatorio")
        if serial not in self.config.accounts["neoagent"]:
            return _result(200, 404, "Chatbot no encontrado")
        try:
            start = date.fromisoformat(body.get("StartTime") or "")
            end = date.fromisoformat(body.get("EndTime") or "")
        except ValueError:
            return _result(400, 400, "Parámetros no válidos (fechas malformadas): use YYYY-MM-DD")
        if end < start:
            return _result(400, 400, "Parámetros no válidos: EndTime es anterior a StartTime")
        if (end - start).days + 1 > self.config.neoagent_max_days:
            return _result(413, 413, "Rango temporal demasiado amplio")
        sessions = []
        for day in days_between(start - timedelta(days=1), end + timedelta(days=1)):
            for conv in conversations(self.config, "neoagent", serial, day, agents=False):
                if start <= conv.started_at.astimezone(UTC).date() <= end:
                    session = {
                        "SessionID": int(conv.id),
                        "CreateTime": create_time(conv.started_at),
                        "URI": f"https://www.{conv.brand.lower().replace(' ', '').replace('ó', 'o')}.com/contacto",
                        "Messages": [
                            {
                                "Type": "User" if m.role == "customer" else "AI",
                                "Content": f"{m.media_url} {m.text}" if m.media_url else m.text,
                            }
                            for m in conv.messages
                        ],
                    }
                    # URI is optional in practice; the independent rendering leaves it out.
                    sessions.append(
                        without(session, "URI") if self.config.variant == "independent" else session
                    )
        sessions.sort(key=lambda s: s["CreateTime"], reverse=self.config.variant == "independent")
        return json_answer(
            self.config,
            200,
            {"Data": sessions, "Version": "1.0.0", "Success": True, "Code": 200, "Message": ""},
        )


FAKE_API = NeoagentApi
