"""Each derived metric pinned on hand-built conversations, including the null cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from chat_assets import schemas
from chat_assets.analytics.tables import DayTables

T0 = datetime(2025, 10, 3, 15, 0, tzinfo=UTC)


def msg(
    conv: str,
    seq: int,
    role: str,
    at: float | None,
    *,
    provider: str = "wolkvox",
    account: str = "0042",
    customer: str | None = "c1",
    agent: str | None = None,
    sentiment: float | None = None,
    vendor: str | None = None,
    fallback: bool = False,
    complaint: bool | None = None,
) -> dict:
    return {
        "provider": provider,
        "account": account,
        "conversation_id": conv,
        "message_id": f"{conv}:{seq}",
        "seq": seq,
        "sent_at": None if at is None else T0 + timedelta(seconds=at),
        "sender_role": role,
        "sender_id": None,
        "sender_name": None,
        "customer_id": customer,
        "customer_name": "Ana" if customer else None,
        "agent_name": agent if role == "agent" else None,
        "channel": "whatsapp",
        "content_type": "text",
        "text": "x",
        "is_fallback": fallback,
        "provider_sentiment": vendor,
        "sentiment": sentiment if role in ("customer", "agent") else None,
        "complaint": complaint if role == "customer" else None,
        "raw_ref": "raw/x#0",
    }


def table(rows: list[dict]) -> pa.Table:
    return schemas.conform("messages", pa.Table.from_pylist(rows, schema=schemas.MESSAGES))


MESSAGES = table(
    [
        # A: bot greets first, customer asks, bot answers, agent takes over; customer writes after the reply.
        msg("A", 0, "bot", 0),
        msg("A", 1, "customer", 10, sentiment=-0.6, vendor="negative", complaint=True),
        msg("A", 2, "bot", 13, fallback=True),
        msg("A", 3, "agent", 70, agent="Laura", sentiment=0.4),
        msg("A", 4, "customer", 100, sentiment=0.8, vendor="very positive", complaint=False),
        # B: customer asks, bot replies, customer never writes again (abandoned), no agent (contained).
        msg("B", 0, "customer", 200, customer="c2", sentiment=0.0, vendor="neutral", complaint=False),
        msg("B", 1, "bot", 205, customer="c2"),
        # C: a vendor without message times (Neoagent-like): only the first message is timed.
        msg("C", 0, "customer", 300, customer="c3", sentiment=-0.9, complaint=False),
        msg("C", 1, "bot", None, customer="c3"),
        msg("C", 2, "customer", None, customer="c3", sentiment=-0.5, complaint=False),
        # D: customer only, nobody answered yet.
        msg("D", 0, "customer", 400, customer="c1", sentiment=None),
    ]
)


@pytest.fixture(scope="module")
def frame():  # type: ignore[no-untyped-def]
    earlier = pa.table({"account": ["0042", "0042"], "customer_id": ["c2", "someone-else"]})
    with DayTables(MESSAGES, earlier) as tables:
        yield tables


def row(frame, conv: str) -> dict:  # type: ignore[no-untyped-def]
    return next(r for r in frame.conversations().to_pylist() if r["conversation_id"] == conv)


def test_conversation_with_handoff(frame) -> None:  # type: ignore[no-untyped-def]
    a = row(frame, "A")
    assert (a["n_messages"], a["n_customer"], a["n_bot"], a["n_agent"]) == (5, 2, 2, 1)
    assert (
        a["first_response_s"] == 3.0
    )  # customer at +10 s, bot at +13 s (the greeting before does not count)
    assert a["duration_s"] == 100.0 and a["started_at"] == T0 and a["ended_at"] == T0 + timedelta(seconds=100)
    assert a["handoff"] and not a["contained"] and a["fallback_count"] == 1 and a["agent_name"] == "Laura"
    assert a["sentiment"] == pytest.approx(0.1) and a["sentiment_label"] == "positive"  # mean of -0.6 and 0.8
    assert a["provider_sentiment"] == "very positive"  # a tie goes to the label given last


def test_contained_and_abandoned(frame) -> None:  # type: ignore[no-untyped-def]
    b = row(frame, "B")
    assert b["contained"] and not b["handoff"] and b["first_response_s"] == 5.0
    assert frame.conversation_flags()["B"]["abandoned"]
    assert not frame.conversation_flags()["A"]["abandoned"]
    assert b["sentiment_label"] == "neutral"


def test_no_message_times_means_null_time_metrics_never_zero(frame) -> None:  # type: ignore[no-untyped-def]
    c = row(frame, "C")
    assert c["started_at"] == T0 + timedelta(seconds=300)
    for name in ("ended_at", "duration_s", "first_response_s"):
        assert c[name] is None, name
    table = frame.conversations().to_pylist()
    c_row = next(r for r in table if r["conversation_id"] == "C")
    assert c_row["ended_at"] is None and c_row["duration_s"] is None and c_row["first_response_s"] is None


def test_unanswered_conversation(frame) -> None:  # type: ignore[no-untyped-def]
    d = row(frame, "D")
    assert d["first_response_s"] is None and d["sentiment"] is None and d["sentiment_label"] is None
    assert d["duration_s"] == 0.0  # one timed message: a real zero, not a missing value
    assert not frame.conversation_flags()["D"]["has_reply"]


def test_engagement_daily(frame) -> None:  # type: ignore[no-untyped-def]
    daily, agents = frame.engagement(), frame.agents()
    [e] = daily.to_pylist()
    assert (
        e["conversations"],
        e["messages"],
        e["customer_messages"],
        e["bot_messages"],
        e["agent_messages"],
    ) == (4, 11, 6, 4, 1)
    assert e["messages_per_conversation_mean"] == 2.75 and e["messages_per_conversation_median"] == 2.5
    assert e["unique_customers"] == 3 and e["returning_customers"] == 1  # c2 was seen in the previous 30 days
    assert e["first_response_median_s"] == 4.0  # A 3 s, B 5 s; C and D have none
    assert e["first_response_p90_s"] == pytest.approx(4.8)
    assert e["duration_median_s"] == 5.0  # A 100, B 5, D 0; C unknown
    assert e["containment_rate"] == 0.75 and e["handoff_rate"] == 0.25 and e["fallback_rate"] == 0.25
    assert e["abandonment_rate"] == pytest.approx(1 / 3)  # of A, B, C (D got no reply): only B
    [agent] = agents.to_pylist()
    assert agent == {
        "provider": "wolkvox",
        "account": "0042",
        "agent_name": "Laura",
        "conversations": 1,
        "first_response_median_s": 3.0,
        "customer_sentiment_mean": pytest.approx(0.1),
    }


def test_sentiment_daily(frame) -> None:  # type: ignore[no-untyped-def]
    [s] = frame.sentiment().to_pylist()
    # scored: A -0.6, 0.4, 0.8; B 0.0; C -0.9, -0.5: two positive, one neutral, three negative
    assert s["scored_messages"] == 6
    assert s["positive_share"] == pytest.approx(2 / 6) and s["neutral_share"] == pytest.approx(1 / 6)
    assert s["negative_share"] == pytest.approx(3 / 6)
    assert s["customer_sentiment_mean"] == pytest.approx((-0.6 + 0.8 + 0.0 - 0.9 - 0.5) / 5)
    assert s["scored_conversations"] == 3  # D has no scored message
    assert s["conversation_negative_share"] == pytest.approx(1 / 3)
    # vendor labels: negative vs ours negative (agree), very positive vs positive (agree), neutral vs neutral (agree)
    assert s["provider_labeled_messages"] == 3 and s["provider_agreement_rate"] == 1.0
    # complaints: A has one customer complaint, B and C none, D was never scored (unknown)
    assert s["complaint_conversations"] == 1 and s["complaint_share"] == pytest.approx(1 / 3)


def test_conversation_complaint_is_any_customer_complaint(frame) -> None:  # type: ignore[no-untyped-def]
    flags = {r["conversation_id"]: r["complaint"] for r in frame.conversations().to_pylist()}
    assert flags == {"A": True, "B": False, "C": False, "D": None}


def test_metrics_are_null_not_zero_without_data() -> None:
    rows = [
        msg("N", 0, "customer", None, provider="neoagent", account="s1", customer=None),
        msg("N", 1, "bot", None, provider="neoagent", account="s1", customer=None),
    ]
    with DayTables(table(rows)) as tables:
        [e] = tables.engagement().to_pylist()
        [s] = tables.sentiment().to_pylist()
    assert e["first_response_median_s"] is None and e["duration_median_s"] is None
    assert e["unique_customers"] == 0 and e["returning_customers"] == 0
    assert s["scored_messages"] == 0 and s["positive_share"] is None and s["provider_agreement_rate"] is None
    assert s["complaint_conversations"] == 0 and s["complaint_share"] is None


def test_empty_day_gives_empty_tables_with_schema() -> None:
    with DayTables(schemas.empty("messages")) as tables:
        assert tables.conversations().schema == schemas.CONVERSATIONS
        daily, agents = tables.engagement(), tables.agents()
        assert daily.num_rows == 0 and agents.schema == schemas.AGENT_DAILY
        assert tables.sentiment().schema == schemas.SENTIMENT_DAILY
