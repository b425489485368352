"""What the simulator served, computed from its generator: what the warehouse must hold."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from chat_assets.partitions import local_day
from chat_assets.simulator import SimulatorConfig
from chat_assets.simulator.conversations import SimConversation, day_conversations


def convs(config: SimulatorConfig, vendor: str, account: str, day: str) -> tuple[SimConversation, ...]:
    agents = vendor not in ("neoagent", "wannabot")
    return day_conversations(
        config.seed, vendor, account, day, config.timezone, tuple(config.volume), agents, vendor == "wannabot"
    )


def previous(day: str) -> str:
    return (date.fromisoformat(day) - timedelta(days=1)).isoformat()


def roles(config: SimulatorConfig, vendor: str, account: str, day: str) -> Counter[str]:
    """Messages by role that `vendor`/`account` must have in the warehouse for `day`."""
    counts: Counter[str] = Counter()
    if vendor == "jelou":  # messages belong to the local day they were sent on
        for d in (previous(day), day):
            for c in convs(config, vendor, account, d):
                counts.update(m.role for m in c.messages if local_day(m.at, config.timezone) == day)
        return counts
    for c in convs(config, vendor, account, day):
        counts.update(m.role for m in c.messages)
    return counts


def wolkvox_spillover(config: SimulatorConfig, account: str, day: str) -> Counter[str]:
    """Messages of yesterday's conversations that run into `day` (kept in `day` if yesterday was not fetched)."""
    counts: Counter[str] = Counter()
    for c in convs(config, "wolkvox", account, previous(day)):
        if local_day(c.ended_at, config.timezone) == day:
            counts.update(m.role for m in c.messages)
    return counts
