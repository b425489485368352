"""How each derived table is computed from canonical messages (pandas, vectorized per group).

Definitions (also in the README, next to each table):
- A conversation's times come from its messages. When any message of a conversation has no time
  (Neoagent, Wannabot give none per message) the metrics that need them (ended_at, duration_s,
  first_response_s) are null, never zero; started_at is the first message's time when it has one.
- first_response_s: from the first customer message to the first bot or agent message after it.
- handoff: an agent wrote after the bot's first message. contained: no agent wrote at all.
- abandoned (used by engagement): the customer wrote, got a bot or agent reply, and wrote nothing
  after that first reply.
- sentiment: mean over the conversation's scored customer messages; label by the scorer's
  thresholds (>= 0.05 positive, <= -0.05 negative).
- provider_sentiment: the vendor's label most often given to the conversation's customer messages
  (a tie goes to the label given last).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

from chat_assets import schemas
from chat_assets.sentiment.backends import NEGATIVE_AT, POSITIVE_AT

KEY = ["provider", "account", "conversation_id"]
# Vendor sentiment vocabularies (Wolkvox `feeling`) folded to our three classes.
PROVIDER_LABELS = {
    "very negative": "negative",
    "negative": "negative",
    "neutral": "neutral",
    "positive": "positive",
    "very positive": "positive",
    "negativo": "negative",
    "neutro": "neutral",
    "positivo": "positive",
}


def labels(values: pd.Series) -> pd.Series:
    out = pd.Series(
        np.where(values >= POSITIVE_AT, "positive", np.where(values <= NEGATIVE_AT, "negative", "neutral")),
        index=values.index,
        dtype=object,
    )
    return out.where(values.notna(), None)


def _nullable(series: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in series]


def conversation_frame(messages: pa.Table) -> pd.DataFrame:
    """One row per conversation with every DESIGN column plus `has_reply` and `abandoned`."""
    df = messages.select(
        [
            "provider",
            "account",
            "conversation_id",
            "seq",
            "sent_at",
            "sender_role",
            "customer_id",
            "customer_name",
            "agent_name",
            "channel",
            "is_fallback",
            "sentiment",
            "provider_sentiment",
        ]
    ).to_pandas()
    if df.empty:
        return pd.DataFrame(columns=[*schemas.CONVERSATIONS.names, "has_reply", "abandoned"])
    df = df.sort_values([*KEY, "seq"], kind="stable").reset_index(drop=True)
    role = df["sender_role"]
    df["is_customer"] = role.eq("customer")
    df["is_bot"] = role.eq("bot")
    df["is_agent"] = role.eq("agent")
    df["is_reply"] = df["is_bot"] | df["is_agent"]
    df["no_time"] = df["sent_at"].isna()
    g = df.groupby(KEY, sort=False)
    out = g.agg(
        n_messages=("seq", "size"),
        n_customer=("is_customer", "sum"),
        n_bot=("is_bot", "sum"),
        n_agent=("is_agent", "sum"),
        fallback_count=("is_fallback", "sum"),
        missing_times=("no_time", "any"),
        channel=("channel", "first"),
        customer_id=("customer_id", "first"),
        customer_name=("customer_name", "first"),
        started_at=("sent_at", "first"),
        ended_at=("sent_at", "max"),
    )
    agents = df[df["is_agent"]].groupby(KEY, sort=False)["agent_name"].first()
    out["agent_name"] = agents.reindex(out.index)

    seq = df["seq"]
    df["first_customer_seq"] = (
        seq.where(df["is_customer"]).groupby([df[k] for k in KEY], sort=False).transform("min")
    )
    first_customer = (
        df[df["is_customer"] & seq.eq(df["first_customer_seq"])].groupby(KEY, sort=False)["sent_at"].first()
    )
    replies = (
        df[df["is_reply"] & (seq > df["first_customer_seq"])].groupby(KEY, sort=False)["sent_at"].first()
    )
    response = (replies.reindex(out.index) - first_customer.reindex(out.index)).dt.total_seconds()
    out["first_response_s"] = response.where(~out["missing_times"])
    out["ended_at"] = out["ended_at"].where(~out["missing_times"])
    out["duration_s"] = (out["ended_at"] - out["started_at"]).dt.total_seconds().where(~out["missing_times"])

    first_bot = df[df["is_bot"]].groupby(KEY, sort=False)["seq"].min().reindex(out.index)
    last_agent = df[df["is_agent"]].groupby(KEY, sort=False)["seq"].max().reindex(out.index)
    out["handoff"] = (last_agent > first_bot).fillna(False).astype(bool)
    out["contained"] = out["n_agent"].eq(0)
    first_reply = df[df["is_reply"] & (seq > df["first_customer_seq"])].groupby(KEY, sort=False)["seq"].min()
    first_reply = first_reply.reindex(out.index)
    last_customer = df[df["is_customer"]].groupby(KEY, sort=False)["seq"].max().reindex(out.index)
    out["has_reply"] = first_reply.notna()
    out["abandoned"] = out["has_reply"] & ~(last_customer > first_reply).fillna(False)

    customer_scores = (
        df[df["is_customer"] & df["sentiment"].notna()].groupby(KEY, sort=False)["sentiment"].mean()
    )
    out["sentiment"] = customer_scores.reindex(out.index)
    out["sentiment_label"] = labels(out["sentiment"])
    vendor = df[df["is_customer"] & df["provider_sentiment"].notna()]
    if len(vendor):
        counts = vendor.groupby([*KEY, "provider_sentiment"], sort=False).agg(
            n=("seq", "size"), last=("seq", "max")
        )
        counts = counts.reset_index().sort_values(
            [*KEY, "n", "last"], ascending=[True, True, True, False, False]
        )
        top = counts.drop_duplicates(KEY).set_index(KEY)["provider_sentiment"]
        out["provider_sentiment"] = top.reindex(out.index)
    else:
        out["provider_sentiment"] = None
    return out.reset_index()


def conversations_table(frame: pd.DataFrame) -> pa.Table:
    if frame.empty:
        return schemas.empty("conversations")
    columns = {}
    for field in schemas.CONVERSATIONS:
        series = frame[field.name]
        if pa.types.is_timestamp(field.type):
            columns[field.name] = pa.array(series, type=field.type, from_pandas=True)
        elif pa.types.is_floating(field.type):
            columns[field.name] = pa.array(series.astype("float64"), type=field.type, from_pandas=True)
        elif pa.types.is_integer(field.type) or pa.types.is_boolean(field.type):
            columns[field.name] = pa.array(series.to_numpy(), type=field.type)
        else:
            columns[field.name] = pa.array(_nullable(series), type=field.type)
    return schemas.conform("conversations", pa.table(columns))


def _rate(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return (numerator / denominator.replace(0, np.nan)).astype("float64")


def engagement_tables(
    frame: pd.DataFrame, earlier_customers: Mapping[tuple[str, str], set[str]]
) -> tuple[pa.Table, pa.Table]:
    """(engagement_daily, agent_daily) for one day's conversation frame."""
    if frame.empty:
        return schemas.empty("engagement_daily"), schemas.empty("agent_daily")
    g = frame.groupby(["provider", "account"], sort=True)
    out = pd.DataFrame(
        {
            "conversations": g.size(),
            "messages": g["n_messages"].sum(),
            "customer_messages": g["n_customer"].sum(),
            "bot_messages": g["n_bot"].sum(),
            "agent_messages": g["n_agent"].sum(),
            "messages_per_conversation_mean": g["n_messages"].mean(),
            "messages_per_conversation_median": g["n_messages"].median(),
            "unique_customers": g["customer_id"].nunique(),
            "first_response_median_s": g["first_response_s"].median(),
            "first_response_p90_s": g["first_response_s"].quantile(0.9),
            "duration_median_s": g["duration_s"].median(),
            "containment_rate": g["contained"].mean(),
            "handoff_rate": g["handoff"].mean(),
            "fallback_rate": g["fallback_count"].apply(lambda s: (s > 0).mean()),
            "abandonment_rate": _rate(g["abandoned"].sum(), g["has_reply"].sum()),
        }
    )
    returning = {}
    for (provider, account), customers in g["customer_id"]:
        seen = earlier_customers.get((provider, account), set())
        returning[(provider, account)] = len(set(customers.dropna()) & seen)
    out["returning_customers"] = pd.Series(returning)
    out = out.reset_index()
    engagement = pa.table(
        {
            f.name: pa.array(out[f.name].astype(object).where(out[f.name].notna(), None).tolist(), f.type)
            for f in schemas.ENGAGEMENT_DAILY
        }
    )
    agents = frame[frame["agent_name"].notna() & frame["n_agent"].gt(0)]
    if agents.empty:
        agent_table = schemas.empty("agent_daily")
    else:
        a = (
            agents.groupby(["provider", "account", "agent_name"], sort=True)
            .agg(
                conversations=("conversation_id", "size"),
                first_response_median_s=("first_response_s", "median"),
                customer_sentiment_mean=("sentiment", "mean"),
            )
            .reset_index()
        )
        agent_table = pa.table(
            {
                f.name: pa.array(a[f.name].astype(object).where(a[f.name].notna(), None).tolist(), f.type)
                for f in schemas.AGENT_DAILY
            }
        )
    return schemas.conform("engagement_daily", engagement), schemas.conform("agent_daily", agent_table)


def sentiment_table(messages: pa.Table, frame: pd.DataFrame) -> pa.Table:
    df = messages.select(
        ["provider", "account", "sender_role", "sentiment", "provider_sentiment"]
    ).to_pandas()
    if df.empty:
        return schemas.empty("sentiment_daily")
    df["label"] = labels(df["sentiment"])
    df["scored"] = df["sentiment"].notna()
    df["customer_score"] = df["sentiment"].where(df["sender_role"].eq("customer"))
    df["vendor"] = df["provider_sentiment"].str.lower().map(PROVIDER_LABELS)
    df["compared"] = df["vendor"].notna() & df["scored"]
    df["agrees"] = df["compared"] & df["vendor"].eq(df["label"])
    for label in ("positive", "neutral", "negative"):
        df[f"is_{label}"] = df["label"].eq(label)
    g = df.groupby(["provider", "account"], sort=True)
    scored = g["scored"].sum()
    out = pd.DataFrame(
        {
            "scored_messages": scored,
            "customer_sentiment_mean": g["customer_score"].mean(),
            "positive_share": _rate(g["is_positive"].sum(), scored),
            "neutral_share": _rate(g["is_neutral"].sum(), scored),
            "negative_share": _rate(g["is_negative"].sum(), scored),
            "provider_labeled_messages": g["compared"].sum(),
            "provider_agreement_rate": _rate(g["agrees"].sum(), g["compared"].sum()),
        }
    )
    if not frame.empty:
        c = frame.assign(
            scored=frame["sentiment_label"].notna(),
            **{f"c_{x}": frame["sentiment_label"].eq(x) for x in ("positive", "neutral", "negative")},
        )
        cg = c.groupby(["provider", "account"], sort=True)
        conv_scored = cg["scored"].sum()
        out["scored_conversations"] = conv_scored
        for x in ("positive", "neutral", "negative"):
            out[f"conversation_{x}_share"] = _rate(cg[f"c_{x}"].sum(), conv_scored)
    out = out.reset_index()
    out["scored_conversations"] = out.get("scored_conversations", pd.Series(0, index=out.index)).fillna(0)
    for x in ("positive", "neutral", "negative"):
        if f"conversation_{x}_share" not in out:
            out[f"conversation_{x}_share"] = np.nan
    table = pa.table(
        {
            f.name: pa.array(out[f.name].astype(object).where(out[f.name].notna(), None).tolist(), f.type)
            for f in schemas.SENTIMENT_DAILY
        }
    )
    return schemas.conform("sentiment_daily", table)
