"""Small helpers the fake vendor APIs share when rendering simulated conversations.

Variants: the vendor documents leave room (field order, optional fields, `name` or `names`,
result order, CSV layouts), so the simulator renders the same conversations in several faithful
ways. `default` is the first rendering; `independent` reverses every object's field order, leaves
out optional fields, uses the documents' alternatives and returns results newest first;
`spreadsheet` sorts fields, pretty-prints, escapes non-ASCII and writes Multichat as an office
export would. The pipeline must store the same rows from each (tests/test_variants.py).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from typing import Any

from chat_assets.simulator.conversations import SimConversation, day_conversations
from chat_assets.simulator.server import SimResponse, SimulatorConfig

FEELINGS = {-1: ("negative", "very negative"), 0: ("neutral",), 1: ("positive", "very positive")}


def short_hash(*parts: object, n: int = 10) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:n]


def conversations(
    config: SimulatorConfig,
    vendor: str,
    account: str,
    day: date,
    *,
    agents: bool = True,
    rich_bot: bool = False,
) -> tuple[SimConversation, ...]:
    return day_conversations(
        config.seed, vendor, account, day.isoformat(), config.timezone, tuple(config.volume), agents, rich_bot
    )


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def feeling(polarity: int, salt: str) -> str:
    options = FEELINGS[polarity]
    return options[int(short_hash(salt, n=2), 16) % len(options)]


def _reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reversed_keys(v) for k, v in reversed(list(value.items()))}
    if isinstance(value, list):
        return [_reversed_keys(v) for v in value]
    return value


def json_answer(
    config: SimulatorConfig, status: int, payload: Any, escape_slashes: bool = False
) -> SimResponse:
    """A vendor's JSON answer, written the way the configured variant writes JSON."""
    if config.variant == "independent":
        text = json.dumps(_reversed_keys(payload), ensure_ascii=False, separators=(",", ":"))
    elif config.variant == "spreadsheet":
        text = json.dumps(payload, ensure_ascii=True, sort_keys=True, indent=2)
    else:
        text = json.dumps(payload, ensure_ascii=False)
    if escape_slashes:
        text = text.replace("/", "\\/")
    return SimResponse(status, text.encode("utf-8"))


def without(mapping: dict[str, Any], *names: str, when: Any = ...) -> dict[str, Any]:
    """`mapping` less optional fields (all of `names`, or only those whose value is `when`)."""
    return {k: v for k, v in mapping.items() if k not in names or (when is not ... and v != when)}
