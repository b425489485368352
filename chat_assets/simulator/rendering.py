"""Small helpers the fake vendor APIs share when rendering simulated conversations."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from chat_assets.simulator.conversations import SimConversation, day_conversations
from chat_assets.simulator.server import SimulatorConfig

FEELINGS = {-1: ("negative", "very negative"), 0: ("neutral",), 1: ("positive", "very positive")}


def short_hash(*parts: object, n: int = 10) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:n]


def conversations(
    config: SimulatorConfig, vendor: str, account: str, day: date, *, agents: bool = True, rich_bot: bool = False
) -> tuple[SimConversation, ...]:
    return day_conversations(
        config.seed, vendor, account, day.isoformat(), config.timezone, tuple(config.volume), agents, rich_bot
    )


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def feeling(polarity: int, salt: str) -> str:
    options = FEELINGS[polarity]
    return options[int(short_hash(salt, n=2), 16) % len(options)]
