"""Deterministic simulated conversations: the ground truth every fake vendor API renders.

`day_conversations(seed, vendor, account, day, tz, volume, agents=...)` always returns the same
conversations for the same arguments, so a test can compare what the pipeline stored with what
the simulator served. Times are real UTC instants; a few conversations start late in the day
and run past local midnight (Wolkvox may then return them on two days); some customers write
twice in a day, hours apart (Jelou's sessionization must split them).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from chat_assets.partitions import day_bounds
from chat_assets.simulator.phrases import AGENTS, BANK, BOT_NAMES, BRANDS, CITIES, FIRST_NAMES, LAST_NAMES

CHANNELS = ("whatsapp", "whatsapp", "whatsapp", "web", "facebook", "instagram")
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 13, 11, 12, 13, 13, 12, 10, 8, 7, 6, 4, 3, 2]
# A tiny but real PNG, so data: URIs in the simulated payloads decode like the real ones.
PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


@dataclass(slots=True)
class SimMessage:
    role: str  # customer | bot | agent
    text: str
    at: datetime  # UTC
    content_type: str = "text"  # text | image | file | location | cards | list | html
    media_url: str | None = None
    is_fallback: bool = False
    polarity: int = 0


@dataclass(slots=True)
class SimConversation:
    id: str
    number: int
    started_at: datetime
    lang: str
    channel: str
    customer_id: str
    customer_name: str
    customer_phone: str
    bot_name: str
    brand: str
    agent_name: str | None = None
    has_feeling: bool = True
    messages: list[SimMessage] = field(default_factory=list)

    @property
    def ended_at(self) -> datetime:
        return self.messages[-1].at


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def volume_for(seed: int, vendor: str, account: str, day: str, volume: tuple[int, int]) -> int:
    return _rng(seed, vendor, account, day, "n").randint(*volume)


class _Builder:
    def __init__(self, rng: random.Random, conv: SimConversation, slots: dict[str, str]):
        self.rng, self.conv, self.slots = rng, conv, slots
        self.bank = BANK[conv.lang]
        self.now = conv.started_at

    def say(self, role: str, purpose: str, gap: tuple[float, float], **extra: object) -> SimMessage:
        text, polarity = self.rng.choice(self.bank[purpose])
        self.now += timedelta(seconds=self.rng.uniform(*gap))
        message = SimMessage(role=role, text=text.format(**self.slots), at=self.now, polarity=polarity)
        for key, value in extra.items():
            setattr(message, key, value)
        self.conv.messages.append(message)
        return message


def _build(rng: random.Random, conv: SimConversation, agents: bool, rich_bot: bool) -> None:
    slots = {
        "bot": conv.bot_name,
        "brand": conv.brand,
        "first": conv.customer_name.split()[0],
        "order": f"{rng.randint(100000, 999999)}",
        "amount": f"{rng.randint(12, 980)}.{rng.choice(['000', '500', '900'])}",
        "date": (conv.started_at + timedelta(days=rng.randint(1, 9))).strftime("%d/%m/%Y"),
        "city": rng.choice(CITIES),
        "agent": conv.agent_name or "",
    }
    b = _Builder(rng, conv, slots)
    quick, customer_gap, agent_gap = (1.0, 4.0), (6.0, 180.0), (15.0, 240.0)
    conv.messages.clear()
    if rng.random() < 0.6:
        b.say("customer", "hello", (0, 0))
        b.say("bot", "greet", quick)
        b.say("customer", "intent", customer_gap)
    else:
        b.say("customer", "intent", (0, 0))
        b.say("bot", "greet", quick)
    if rng.random() < 0.12:  # abandoned after the first reply
        return
    for _ in range(rng.choice([0, 0, 0, 1, 1, 2])):
        b.say("customer", "unclear", customer_gap)
        b.say("bot", "fallback", quick, is_fallback=True)
    answer_type = "text"
    if rich_bot:
        answer_type = rng.choice(["text", "text", "text", "cards", "list", "html"])
    b.say("bot", "answer", quick, content_type=answer_type)
    if rng.random() < 0.15:
        kind = rng.choice(["image", "image", "file", "location"])
        if kind == "location":
            lat, lng = rng.uniform(-2.5, 11.0), rng.uniform(-79.9, -73.0)
            b.say(
                "customer", "media_caption", customer_gap, content_type="location", media_url=None
            ).text = f"{lat:.5f},{lng:.5f}"
        else:
            ext = "jpg" if kind == "image" else "pdf"
            m = b.say("customer", "media_caption", customer_gap, content_type=kind)
            m.media_url = f"https://media.example-cdn.com/{conv.id}/{rng.randint(1000, 9999)}.{ext}"
    for _ in range(rng.randint(1, 7)):
        b.say("customer", "follow", customer_gap)
        b.say("bot", "reply", quick)
    if agents and rng.random() < 0.35:
        b.say("customer", "ask_agent", customer_gap)
        b.say("bot", "handoff", quick)
        b.say("agent", "agent_hello", (30.0, 600.0))
        for _ in range(rng.randint(1, 4)):
            b.say("customer", "follow", customer_gap)
            b.say("agent", "agent_fix", agent_gap)
        b.say("customer", "thanks", customer_gap)
        b.say("agent", "agent_bye", agent_gap)
    else:
        conv.agent_name = None
        b.say("customer", "thanks", customer_gap)
        b.say("bot", "bye", quick)


@lru_cache(maxsize=64)
def day_conversations(
    seed: int,
    vendor: str,
    account: str,
    day: str,
    tz: str,
    volume: tuple[int, int],
    agents: bool = True,
    rich_bot: bool = False,
) -> tuple[SimConversation, ...]:
    """The conversations of one account that start on local `day` in `tz`, ordered by start."""
    rng = _rng(seed, vendor, account, day)
    n = volume_for(seed, vendor, account, day, volume)
    start, _end = day_bounds(day, tz)
    start_utc = start.astimezone(UTC)
    # Real seconds, not `_end - start`: within one zone Python subtracts wall times, so a day with
    # a clock change would last 24 hours here (its conversations running into the next day).
    seconds_in_day = int(_end.timestamp() - start.timestamp())
    starts = []
    for _ in range(n):
        if rng.random() < 0.02:  # late starters that run past midnight
            offset = seconds_in_day - rng.randint(60, 1200)
        else:
            hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
            offset = min(seconds_in_day - 1, hour * 3600 + rng.randint(0, 3599))
        starts.append(offset + rng.random())
    starts.sort()
    day_code = day.replace("-", "")
    conversations: list[SimConversation] = []
    ended: list[SimConversation] = []
    customers = 0
    for i, offset in enumerate(starts):
        started = start_utc + timedelta(seconds=offset)
        lang = rng.choices(["es", "en", "pt"], weights=[86, 7, 7])[0]
        returning = None
        if ended and rng.random() < 0.08:
            candidate = rng.choice(ended[-50:])
            if candidate.ended_at + timedelta(minutes=45) < started:
                returning = candidate
        if returning is not None:
            cid, cname, phone, lang = (
                returning.customer_id,
                returning.customer_name,
                returning.customer_phone,
                returning.lang,
            )
        else:
            customers += 1
            cname = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            phone = f"57{rng.randint(300, 321)}{rng.randint(1000000, 9999999)}"
            cid = f"{rng.randint(10_000_000, 1_299_999_999)}"
        conv = SimConversation(
            id=f"{day_code}{i:05d}",
            number=i,
            started_at=started,
            lang=lang,
            channel=rng.choice(CHANNELS),
            customer_id=cid,
            customer_name=cname,
            customer_phone=phone,
            bot_name=rng.choice(BOT_NAMES),
            brand=rng.choice(BRANDS),
            agent_name=rng.choice(AGENTS) if agents else None,
            has_feeling=rng.random() < 0.7,
        )
        _build(rng, conv, agents, rich_bot)
        conversations.append(conv)
        ended.append(conv)
    return tuple(conversations)


def png_data_uri() -> str:
    return f"data:image/png;base64,{PNG_B64}"
