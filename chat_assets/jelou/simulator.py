"""Fake Jelou history API (shared/providers/jelou.txt and NOTES.md).

`GET <prefix>/v1/external/messages/history/<botId>?limit&page&startAt&endAt` with Basic auth;
`limit` at most 50, `page` from 1; messages ordered by `createdAt`, with the documented
`pagination` block and the documented 401 / 404 BOT_NOT_FOUND / 422 VALIDATOR_ERROR bodies.
"""

from __future__ import annotations

import base64
import math
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chat_assets.simulator.rendering import conversations, days_between, json_answer, short_hash, without
from chat_assets.simulator.server import Counters, SimRequest, SimResponse, SimulatorConfig

PATH = "/v1/external/messages/history/"
STATUSES = ("DELIVERED_USER", "DELIVERED_USER", "DELIVERED_USER", "DELIVERED_CHANNEL", "CREATED", "FAILED")


def _failure(
    status: int, message: str, code: str, key: str, description: str, dev_es: str, dev_en: str
) -> dict:
    return {
        "message": [message],
        "statusMessage": "failed",
        "status": 0,
        "error": {
            "code": code,
            "key": key,
            "description": description,
            "developerMessages": {"es": dev_es, "en": dev_en},
            "clientMessages": {"es": message, "en": message},
        },
    }


def _validation(field: str, es: str, en: str) -> SimResponse:
    body = _failure(
        422,
        "Los valores ingresados no son correctos.",
        "E0422",
        "VALIDATOR_ERROR",
        "Error to be thrown when cannot process request because of incoming values",
        "Los valores del request no son correctos para ser procesados.",
        "The request values are not correct for processing.",
    )
    body["validationError"] = {field: [{"es": es, "en": en, "pt": en}]}
    return SimResponse.json(422, body)


def _parse_iso(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))


def iso_ms(moment: datetime) -> str:
    return (
        moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{moment.microsecond // 1000:03d}Z"
    )


class JelouApi:
    prefix = "/jelou"

    def __init__(self, config: SimulatorConfig, counters: Counters):
        self.config = config
        self.counters = counters

    def _authorized(self, request: SimRequest) -> bool:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        creds = self.config.credentials
        return user == creds["JELOU_USERNAME"] and password == creds["JELOU_PASSWORD"]

    def handle(self, request: SimRequest) -> SimResponse:
        if not request.path.startswith(PATH):
            return SimResponse(404, b"<html><body>Cannot GET</body></html>", "text/html")
        if not self._authorized(request):
            return SimResponse.json(401, {"message": "Authentication failed"})
        bot = request.path[len(PATH) :].strip("/")
        if bot not in self.config.accounts["jelou"]:
            return SimResponse.json(
                404,
                _failure(
                    404,
                    "The Bot could not be found at the moment.",
                    "E1019",
                    "BOT_NOT_FOUND",
                    "Error to be thrown when trying to get a Bot.",
                    "El botId no se encuentra en la base de datos o ha sido eliminado.",
                    "The botId is not found in the database or has been deleted.",
                ),
            )
        q = request.query
        try:
            limit, page = int(q.get("limit", "10")), int(q.get("page", "1"))
        except ValueError:
            return _validation(
                "limit", "el campo limit debe ser un número", "the limit field must be a number"
            )
        if not 1 <= limit <= 50:
            return _validation(
                "limit", "el campo limit debe estar entre 1 y 50", "the limit field must be between 1 and 50"
            )
        if page < 1:
            return _validation(
                "page", "el campo page debe ser mayor a 0", "the page field must be greater than 0"
            )
        tz = ZoneInfo(self.config.timezone)
        today = datetime.now(tz).replace(hour=0, minute=0, second=0, microsecond=0)
        start = _parse_iso(q["startAt"]) if q.get("startAt") else today
        if start is None:
            return _validation(
                "startAt", "el campo startAt debe ser una fecha", "the startAt field must be a Date"
            )
        end = _parse_iso(q["endAt"]) if q.get("endAt") else start + timedelta(days=1)
        if end is None:
            return _validation("endAt", "el campo endAt debe ser una fecha", "the endAt field must be a Date")
        rows = self._messages(bot, start, end)
        total = len(rows)
        pages = math.ceil(total / limit)
        offset = (page - 1) * limit
        page_body: dict[str, Any] = {
            "pagination": {
                "limit": limit,
                "page": page,
                "total": total,
                "offset": offset,
                "totalPages": pages,
            },
            "_metadata": {},
            "results": rows[offset : offset + limit],
        }
        if self.config.variant == "independent":
            page_body.pop("_metadata")
        return json_answer(self.config, 200, page_body)

    def _messages(self, bot: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        tz = ZoneInfo(self.config.timezone)
        found = []
        for day in days_between(start.astimezone(tz).date() - timedelta(days=1), end.astimezone(tz).date()):
            for conv in conversations(self.config, "jelou", bot, day):
                for i, m in enumerate(conv.messages):
                    if start <= m.at <= end:
                        found.append((m.at, conv, i, m))
        # The independent rendering answers newest first, as some history APIs do.
        found.sort(
            key=lambda item: (item[0], item[1].id, item[2]), reverse=self.config.variant == "independent"
        )
        return [self._render(bot, conv, i, m) for _, conv, i, m in found]

    def _render(self, bot: str, conv, i: int, m) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        channel = {"whatsapp": "Whatsapp", "web": "Web", "facebook": "Facebook", "instagram": "Instagram"}[
            conv.channel
        ]
        user = {"id": conv.customer_phone, "names": conv.customer_name}
        bot_party = {"id": bot, "name": f"{conv.brand} Bot", "type": channel}
        if m.role == "customer":
            sender, recipient, by = (
                {"id": conv.customer_phone, "name": conv.customer_name, "type": channel},
                {"id": bot, "names": f"{conv.brand} Bot"},
                "user",
            )
        elif m.role == "bot":
            sender, recipient, by = bot_party, user, "bot"
        else:
            sender = {
                "id": f"op-{short_hash(conv.agent_name, n=8)}",
                "name": conv.agent_name,
                "type": channel,
            }
            recipient, by = user, "operator"
        if m.content_type == "image":
            bubble = {"type": "IMAGE", "mediaUrl": m.media_url, "text": m.text}
        elif m.content_type == "file":
            bubble = {"type": "DOCUMENT", "mediaUrl": m.media_url, "text": m.text}
        elif m.content_type == "location":
            lat, lng = m.text.split(",")
            bubble = {"type": "LOCATION", "coordinates": {"lat": float(lat), "lng": float(lng)}}
        else:
            bubble = {"type": "TEXT", "text": m.text}
        h = short_hash(bot, conv.id, i, n=32)
        if self.config.variant == "independent":  # the document's other spelling, and no optional status
            sender, recipient = _swap_name(sender), _swap_name(recipient)
        result = {
            "recipient": recipient,
            "sender": sender,
            "by": by,
            "messageId": f"msg-{h[:5]}-{h[5:10]}-{h[10:14]}-{h[14:19]}-{h[19:24]}",
            "status": STATUSES[int(h[-2:], 16) % len(STATUSES)],
            "bubble": bubble,
            "createdAt": iso_ms(m.at),
        }
        return without(result, "status") if self.config.variant == "independent" else result


def _swap_name(party: dict[str, Any]) -> dict[str, Any]:
    party = dict(party)
    if "names" in party:
        party["name"] = party.pop("names")
    elif "name" in party:
        party["names"] = party.pop("name")
    return party


FAKE_API = JelouApi
