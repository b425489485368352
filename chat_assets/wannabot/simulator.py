"""Fake Wannabot history API (shared/providers/wannabot.txt and NOTES.md).

`POST <prefix>/v1/conversation/history` with `Authorization: bearer <key>` and
`{"session_id": ...}` answers the session's messages as documented (`is_bot`/`is_user`,
`data.type`, `interaction_data` for TEXT/IMAGE/HTML/CARDS/LIST, `is_error`), including typing
indicators with empty data. Unknown sessions answer 404. Simulator only:
`GET <prefix>/_sim/sessions?date=YYYY-MM-DD` lists the sessions created that local day, which the
demo uses to write a session registry (no real Wannabot endpoint lists sessions).

Session ids are 24 hex characters that encode (bot, day, index), so any id can be resolved.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from chat_assets.simulator.rendering import conversations, json_answer, short_hash, without
from chat_assets.simulator.server import Counters, SimRequest, SimResponse, SimulatorConfig

PATH = "/v1/conversation/history"


def session_id(bot_index: int, day: date, index: int) -> str:
    head = f"{bot_index:02x}{int(day.strftime('%Y%m%d')):08x}{index:06x}"
    return head + short_hash("wannabot", head, n=8)


def parse_session_id(value: str) -> tuple[int, date, int] | None:
    if len(value) != 24 or value[16:] != short_hash("wannabot", value[:16], n=8):
        return None
    try:
        bot_index, day_code, index = int(value[:2], 16), int(value[2:10], 16), int(value[10:16], 16)
        return bot_index, date(day_code // 10000, day_code // 100 % 100, day_code % 100), index
    except ValueError:
        return None


def _buttons(texts: list[str]) -> list[dict[str, str]]:
    return [
        {"title": t, "type": "postback", "payload": t.upper().replace(" ", "_"), "onclick": "", "url": ""}
        for t in texts
    ]


class WannabotApi:
    prefix = "/wannabot"

    def __init__(self, config: SimulatorConfig, counters: Counters):
        self.config = config
        self.counters = counters

    def _conversations(self, bot_index: int, day: date):  # type: ignore[no-untyped-def]
        bot = self.config.accounts["wannabot"][bot_index]
        return bot, conversations(self.config, "wannabot", bot, day, agents=False, rich_bot=True)

    def handle(self, request: SimRequest) -> SimResponse:
        if request.path == "/_sim/sessions":
            return self._sessions(request)
        if request.path.rstrip("/") != PATH or request.method != "POST":
            return SimResponse.json(404, {"error": "not_found", "message": "Route not found"})
        auth = request.headers.get("authorization", "")
        scheme, _, key = auth.partition(" ")
        if scheme.lower() != "bearer" or key.strip() != self.config.credentials["WANNABOT_API_KEY"]:
            return SimResponse.json(401, {"error": "unauthorized", "message": "Invalid API key"})
        try:
            sid = str(request.json()["session_id"])
        except (ValueError, KeyError, TypeError):
            return SimResponse.json(400, {"error": "bad_request", "message": "session_id is required"})
        parsed = parse_session_id(sid)
        if parsed is None or parsed[0] >= len(self.config.accounts["wannabot"]):
            return SimResponse.json(404, {"error": "not_found", "message": f"Session {sid} not found"})
        bot_index, day, index = parsed
        bot, convs = self._conversations(bot_index, day)
        if index >= len(convs):
            return SimResponse.json(404, {"error": "not_found", "message": f"Session {sid} not found"})
        return json_answer(self.config, 200, self._render(sid, bot, convs[index]))

    def _sessions(self, request: SimRequest) -> SimResponse:
        try:
            day = date.fromisoformat(request.query.get("date", ""))
        except ValueError:
            return SimResponse.json(400, {"error": "bad_request", "message": "date=YYYY-MM-DD is required"})
        tz = ZoneInfo(self.config.timezone)
        rows = []
        for bot_index in range(len(self.config.accounts["wannabot"])):
            bot, convs = self._conversations(bot_index, day)
            for conv in convs:
                rows.append(
                    {
                        "session_id": session_id(bot_index, day, conv.number),
                        "created_at": conv.started_at.astimezone(tz).isoformat(timespec="seconds"),
                        "bot_id": bot,
                    }
                )
        return SimResponse.json(200, {"date": day.isoformat(), "sessions": rows})

    def _render(self, sid: str, bot: str, conv) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
        out = self._render_all(sid, bot, conv)
        if self.config.variant != "independent":
            return out
        # Optional fields left out where they say nothing: bot.active, is_typing false, is_error false,
        # empty button lists, placeholders.
        slim = []
        for message in out:
            message = without(message, "is_typing", when=False)
            message["bot"] = without(message["bot"], "active")
            data = without(message["data"], "is_error", when=False)
            if "interaction_data" in data:
                data["interaction_data"] = without(
                    without(data["interaction_data"], "placeholder"), "buttons", when=[]
                )
            message["data"] = data
            slim.append(message)
        return slim

    def _render_all(self, sid: str, bot: str, conv) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
        out: list[dict[str, Any]] = []
        bot_info = {"id": bot, "type": "web", "active": True}
        for i, m in enumerate(conv.messages):
            if m.role == "customer":
                data: dict[str, Any] = {"text": m.text}
                if m.content_type == "image":
                    data["image"] = m.media_url
                out.append(
                    {
                        "session_id": sid,
                        "is_typing": False,
                        "bot": bot_info,
                        "is_bot": False,
                        "is_user": True,
                        "data": data,
                    }
                )
                continue
            if i % 4 == 1:
                out.append(
                    {
                        "session_id": sid,
                        "is_typing": True,
                        "bot": bot_info,
                        "is_bot": True,
                        "is_user": False,
                        "data": {},
                    }
                )
            kind = m.content_type.upper()
            if kind == "CARDS":
                interaction = {
                    "template_type": "generic",
                    "image_aspect_ratio": "horizontal",
                    "elements": [
                        {
                            "title": m.text,
                            "subtitle": f"{conv.brand}",
                            "image_url": "https://img.example-cdn.com/card.jpg",
                            "default_action": {"type": "web_url", "url": "https://www.example.com"},
                            "buttons": _buttons(["Ver más", "Comprar"]),
                        },
                        {
                            "title": "Hablar con soporte",
                            "subtitle": "Respuesta en minutos",
                            "image_url": "https://img.example-cdn.com/soporte.jpg",
                            "default_action": {"type": "web_url", "url": "https://www.example.com/soporte"},
                            "buttons": _buttons(["Escribir"]),
                        },
                    ],
                }
            elif kind == "LIST":
                interaction = {
                    "template_type": "list",
                    "text": m.text,
                    "elements": [
                        {"title": "Pedidos", "subtitle": "Estado y devoluciones"},
                        {"title": "Pagos", "subtitle": "Facturas y cobros"},
                    ],
                    "buttons": _buttons(["Ver todo"]),
                }
            elif kind == "HTML":
                interaction = {"text": f"<p>{m.text}</p>", "buttons": [], "placeholder": "Escribe aquí"}
            else:
                kind = "TEXT"
                interaction = {
                    "text": m.text,
                    "buttons": _buttons(["Sí", "No"]) if i % 5 == 0 else [],
                    "placeholder": "Escribe aquí",
                }
            out.append(
                {
                    "session_id": sid,
                    "is_typing": False,
                    "bot": bot_info,
                    "is_bot": True,
                    "is_user": False,
                    "data": {"type": kind, "is_error": m.is_fallback, "interaction_data": interaction},
                }
            )
        return out


FAKE_API = WannabotApi
