"""Fake Wolkvox `reports_manager.php?api=chat_2` (shared/providers/wolkvox.txt and NOTES.md).

Windows are local-time `YYYYmmddHHiiss` bounds; a conversation is returned when any of its
messages falls in the window (so one that crosses midnight comes back on both days). At most
`wolkvox_max_records` message records per call (oldest first, cut mid-conversation at the cap) and 31 days.
An empty window answers HTTP 404 with a message about the dates. Overlapping use of one token
answers 403 and counts a violation (`wolkvox_overlaps`); so does the daily quota.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from chat_assets.simulator.conversations import png_data_uri
from chat_assets.simulator.rendering import (
    conversations,
    days_between,
    feeling,
    json_answer,
    short_hash,
    without,
)
from chat_assets.simulator.server import Counters, SimRequest, SimResponse, SimulatorConfig

PATH = "/api/v2/reports_manager.php"


def _error(status: int, error: str, msg: str) -> SimResponse:
    return SimResponse.json(status, {"code": status, "error": error, "msg": msg, "data": []})


class WolkvoxApi:
    prefix = "/wolkvox"

    def __init__(self, config: SimulatorConfig, counters: Counters):
        self.config = config
        self.counters = counters
        self.lock = threading.Lock()
        self.in_flight = 0
        self.uses: Counter[str] = Counter()

    def handle(self, request: SimRequest) -> SimResponse:
        if request.path != PATH:
            return _error(400, "Bad Request", "THE API YOU WANT TO CONSULT DOES NOT EXIST")
        token = request.headers.get("wolkvox-token")
        if not token:
            return _error(401, "Unauthorized", "PLEASE ENTER THE WOLKVOX-TOKEN")
        if token != self.config.credentials["WOLKVOX_TOKEN"]:
            return _error(403, "Forbidden", "PLEASE VALIDATE TOKEN")
        with self.lock:
            self.in_flight += 1
            overlapping = self.in_flight > 1
            today = self.config.today_local().isoformat()
            self.uses[today] += 1
            over_quota = self.uses[today] > self.config.wolkvox_daily_quota
        try:
            if overlapping:
                self.counters.add("wolkvox_overlaps")
                return _error(403, "Forbidden", "EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN")
            if over_quota:
                self.counters.add("wolkvox_quota_exceeded")
                return _error(403, "Forbidden", "TOKEN LIMIT EXCEEDED")
            time.sleep(self.config.wolkvox_hold_s)
            return self._report(request)
        finally:
            with self.lock:
                self.in_flight -= 1

    def _report(self, request: SimRequest) -> SimResponse:
        q = request.query
        if q.get("api") != "chat_2":
            return _error(400, "Bad Request", "THE API YOU WANT TO CONSULT DOES NOT EXIST")
        try:
            ini = datetime.strptime(q["date_ini"], "%Y%m%d%H%M%S")
            end = datetime.strptime(q["date_end"], "%Y%m%d%H%M%S")
        except (KeyError, ValueError):
            return _error(400, "Bad Request", "SOME PARAMETERS ARE REQUIRED")
        if end < ini or (end - ini) > timedelta(days=self.config.wolkvox_max_days):
            return _error(400, "Bad Request", "THE DATE RANGE MUST BE AT MOST 31 DAYS")
        tz = ZoneInfo(self.config.timezone)
        lo, hi = ini.replace(tzinfo=tz), end.replace(tzinfo=tz) + timedelta(seconds=1)
        server = self.config.accounts["wolkvox"][0]
        data, records, cap = [], 0, self.config.wolkvox_max_records
        for day in days_between(ini.date() - timedelta(days=1), end.date()):
            for conv in conversations(self.config, "wolkvox", server, day):
                if records >= cap:
                    break
                if not any(lo <= m.at < hi for m in conv.messages):
                    continue
                rendered = self._render(conv, tz)
                # The cap counts message records: the answer stops at exactly `cap`, mid-conversation if need be.
                rendered["conversation"] = rendered["conversation"][: cap - records]
                records += len(rendered["conversation"])
                data.append(rendered)
        if not data:
            return _error(
                404, "Not Found", "NO RECORDS FOUND, PLEASE VALIDATE THE DATES date_ini AND date_end"
            )
        if self.config.variant == "independent":
            data.reverse()
        return json_answer(
            self.config,
            200,
            {"code": 200, "error": None, "msg": f"{records} records were found", "data": data},
        )

    def _render(self, conv, tz: ZoneInfo) -> dict[str, object]:  # type: ignore[no-untyped-def]
        rows = []
        agent_joined = False
        for i, m in enumerate(conv.messages):
            message = m.text
            if m.content_type == "image":
                message = png_data_uri() if i % 2 else m.media_url
            elif m.content_type == "file":
                message = f'<a href="{m.media_url}" target="_blank">{m.media_url.rsplit("/", 1)[1]}</a>'
            elif m.content_type == "location":
                message = f"https://maps.google.com/?q={m.text}"
            if m.role == "agent":
                agent_joined = True
            row: dict[str, object] = {
                "channel": conv.channel,
                "from": "CUSTOMER" if m.role == "customer" else "AGENT",
                "from_name": {"customer": conv.customer_name, "bot": "chat_bot"}.get(m.role, conv.agent_name),
                "to_name": conv.customer_name
                if m.role != "customer"
                else (conv.agent_name if agent_joined else "chat_bot"),
                "date": m.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
                "message": message,
                "customer_id": conv.customer_id,
                "customer_phone": conv.customer_phone,
            }
            if conv.has_feeling:
                row["feeling"] = feeling(m.polarity, short_hash(conv.id, i))
            if (
                self.config.variant == "independent"
            ):  # the older example: no customer_phone beside customer_id
                row = without(row, "customer_phone")
            rows.append(row)
        return {
            "conn_id": f"{int(conv.id):d}{short_hash(conv.id, n=4).upper()}",
            "agent_name": conv.agent_name or "",
            "customer_name": conv.customer_name,
            "conversation": rows,
        }


FAKE_API = WolkvoxApi
