"""How each derived table is computed from canonical messages: DuckDB SQL over Arrow tables.

One in-memory DuckDB connection per step; a batch of days' messages is handed to it as one Arrow
table with a `day` column (zero copy), every query groups by `day` first, and each result is cut
back into days, so a day's tables are the same whether it is computed alone or within a range. The
same SQL serves a local data dir and an object store (the storage layer reads the Parquet bytes).
The SQL is the definition; the README repeats it in words:

- A conversation's times come from its messages. When any message of a conversation has no time
  (Neoagent, Wannabot give none per message) the metrics that need them (ended_at, duration_s,
  first_response_s) are null, never zero; started_at is the first message's time when it has one.
  "First" is by `seq`, skipping nulls (the first channel given, the first customer id given).
- first_response_s: from the first customer message to the first bot or agent message after it.
- handoff: an agent wrote after the bot's first message. contained: no agent wrote at all.
- abandoned (used by engagement): the customer wrote, got a bot or agent reply, and wrote nothing
  after that first reply.
- sentiment: mean over the conversation's scored customer messages; label by the scorer's
  thresholds (>= 0.05 positive, <= -0.05 negative) on the stored (float32) value.
- provider_sentiment: the vendor's label most often given to the conversation's customer messages
  (a tie goes to the label given last).
- complaint: any of the conversation's customer messages is flagged a complaint; null when none
  of them was scored. complaint_share (sentiment_daily): conversations with a complaint among
  those whose complaint is known.
- returning_customers: customers of the day who had a conversation on any of the previous
  `LOOKBACK_DAYS` days with the same vendor account (`returning.py` keeps that window).
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chat_assets import schemas
from chat_assets.sentiment.backends import NEGATIVE_AT, POSITIVE_AT

#: The look-back of `returning_customers`: a day's customer is returning when seen with the same
#: vendor account on any of this many days before.
LOOKBACK_DAYS = 30

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


def _label(score: str) -> str:
    return (
        f"CASE WHEN {score} IS NULL THEN NULL WHEN {score}::DOUBLE >= {POSITIVE_AT} THEN 'positive' "
        f"WHEN {score}::DOUBLE <= {NEGATIVE_AT} THEN 'negative' ELSE 'neutral' END"
    )


# One row per conversation, with `has_reply` and `abandoned` beside the DESIGN columns, computed once
# per day from `messages`: the three tables of a day share one definition and one computation.
CONVERSATION_TABLE = f"""
CREATE OR REPLACE TEMP TABLE conv AS
WITH m AS (
    SELECT *,
        sender_role = 'customer' AS is_customer,
        sender_role = 'bot' AS is_bot,
        sender_role = 'agent' AS is_agent,
        sender_role IN ('bot', 'agent') AS is_reply,
        min(seq) FILTER (WHERE sender_role = 'customer')
            OVER (PARTITION BY day, provider, account, conversation_id) AS first_customer_seq
    FROM messages
), g AS (
    SELECT day, provider, account, conversation_id,
        count(*) AS n_messages,
        count(*) FILTER (WHERE is_customer) AS n_customer,
        count(*) FILTER (WHERE is_bot) AS n_bot,
        count(*) FILTER (WHERE is_agent) AS n_agent,
        count(*) FILTER (WHERE is_fallback) AS fallback_count,
        bool_or(sent_at IS NULL) AS missing_times,
        arg_min(channel, seq) AS channel,
        arg_min(customer_id, seq) AS customer_id,
        arg_min(customer_name, seq) AS customer_name,
        arg_min(agent_name, seq) FILTER (WHERE is_agent) AS agent_name,
        arg_min(sent_at, seq) AS started_at,
        max(sent_at) AS last_at,
        arg_min(sent_at, seq) FILTER (WHERE is_customer AND seq = first_customer_seq) AS first_customer_at,
        arg_min(sent_at, seq) FILTER (WHERE is_reply AND seq > first_customer_seq) AS first_reply_at,
        min(seq) FILTER (WHERE is_reply AND seq > first_customer_seq) AS first_reply_seq,
        min(seq) FILTER (WHERE is_bot) AS first_bot_seq,
        max(seq) FILTER (WHERE is_agent) AS last_agent_seq,
        max(seq) FILTER (WHERE is_customer) AS last_customer_seq,
        avg(sentiment) FILTER (WHERE is_customer)::FLOAT AS sentiment,
        bool_or(complaint) FILTER (WHERE is_customer) AS complaint
    FROM m
    GROUP BY day, provider, account, conversation_id
), vendor_counts AS (
    SELECT day, provider, account, conversation_id, provider_sentiment, count(*) AS n, max(seq) AS last
    FROM m
    WHERE is_customer AND provider_sentiment IS NOT NULL
    GROUP BY ALL
), vendor_top AS (
    SELECT day, provider, account, conversation_id,
        first(provider_sentiment ORDER BY n DESC, last DESC) AS provider_sentiment
    FROM vendor_counts
    GROUP BY ALL
)
SELECT g.day, g.provider, g.account, g.conversation_id, channel, customer_id, customer_name, agent_name,
    started_at,
    CASE WHEN missing_times THEN NULL ELSE last_at END AS ended_at,
    CASE WHEN missing_times THEN NULL
        ELSE (epoch_us(last_at) - epoch_us(started_at)) / 1e6 END AS duration_s,
    n_messages::INTEGER AS n_messages,
    n_customer::INTEGER AS n_customer,
    n_bot::INTEGER AS n_bot,
    n_agent::INTEGER AS n_agent,
    CASE WHEN missing_times THEN NULL
        ELSE (epoch_us(first_reply_at) - epoch_us(first_customer_at)) / 1e6 END AS first_response_s,
    coalesce(last_agent_seq > first_bot_seq, false) AS handoff,
    n_agent = 0 AS contained,
    fallback_count::INTEGER AS fallback_count,
    sentiment,
    {_label("sentiment")} AS sentiment_label,
    v.provider_sentiment,
    complaint,
    first_reply_seq IS NOT NULL AS has_reply,
    first_reply_seq IS NOT NULL AND NOT coalesce(last_customer_seq > first_reply_seq, false) AS abandoned
FROM g LEFT JOIN vendor_top v USING (day, provider, account, conversation_id)
"""

CONVERSATIONS = f"""
SELECT day, {", ".join(schemas.CONVERSATIONS.names)} FROM conv ORDER BY day, provider, account, conversation_id
"""

ENGAGEMENT = f"""
WITH day_customers AS (
    SELECT DISTINCT day, provider, account, customer_id FROM conv WHERE customer_id IS NOT NULL
), seen AS (
    SELECT day, account, customer_id FROM day_customers
    UNION ALL
    SELECT day, account, customer_id FROM earlier
), returners AS (
    SELECT day, provider, account, count(*) AS returning_customers
    FROM day_customers d
    WHERE EXISTS (
        SELECT 1 FROM seen s
        WHERE s.account = d.account AND s.customer_id = d.customer_id
            AND s.day < d.day AND s.day >= d.day - {LOOKBACK_DAYS}
    )
    GROUP BY ALL
)
SELECT c.day, c.provider, c.account,
    count(*)::INTEGER AS conversations,
    sum(n_messages)::INTEGER AS messages,
    sum(n_customer)::INTEGER AS customer_messages,
    sum(n_bot)::INTEGER AS bot_messages,
    sum(n_agent)::INTEGER AS agent_messages,
    avg(n_messages) AS messages_per_conversation_mean,
    median(n_messages::DOUBLE) AS messages_per_conversation_median,
    count(DISTINCT customer_id)::INTEGER AS unique_customers,
    coalesce(any_value(r.returning_customers), 0)::INTEGER AS returning_customers,
    median(first_response_s) AS first_response_median_s,
    quantile_cont(first_response_s, 0.9) AS first_response_p90_s,
    median(duration_s) AS duration_median_s,
    avg(contained::DOUBLE) AS containment_rate,
    avg(handoff::DOUBLE) AS handoff_rate,
    avg((fallback_count > 0)::DOUBLE) AS fallback_rate,
    count(*) FILTER (WHERE abandoned) / nullif(count(*) FILTER (WHERE has_reply), 0) AS abandonment_rate
FROM conv c LEFT JOIN returners r USING (day, provider, account)
GROUP BY c.day, c.provider, c.account
ORDER BY c.day, c.provider, c.account
"""

AGENTS = """
SELECT day, provider, account, agent_name,
    count(*)::INTEGER AS conversations,
    median(first_response_s) AS first_response_median_s,
    avg(sentiment::DOUBLE) AS customer_sentiment_mean
FROM conv
WHERE agent_name IS NOT NULL AND n_agent > 0
GROUP BY ALL
ORDER BY day, provider, account, agent_name
"""

_VENDOR_LABEL = "CASE lower(provider_sentiment) {} END".format(
    " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in PROVIDER_LABELS.items())
)

SENTIMENT = f"""
WITH m AS (
    SELECT day, provider, account, sentiment,
        {_label("sentiment")} AS label,
        CASE WHEN sender_role = 'customer' THEN sentiment END AS customer_score,
        {_VENDOR_LABEL} AS vendor
    FROM messages
), by_message AS (
    SELECT day, provider, account,
        count(sentiment) AS scored,
        avg(customer_score::DOUBLE) AS customer_sentiment_mean,
        count(*) FILTER (WHERE label = 'positive') AS positive,
        count(*) FILTER (WHERE label = 'neutral') AS neutral,
        count(*) FILTER (WHERE label = 'negative') AS negative,
        count(*) FILTER (WHERE vendor IS NOT NULL AND sentiment IS NOT NULL) AS compared,
        count(*) FILTER (WHERE vendor IS NOT NULL AND vendor = label) AS agrees
    FROM m GROUP BY ALL
), by_conversation AS (
    SELECT day, provider, account,
        count(sentiment_label) AS scored,
        count(*) FILTER (WHERE sentiment_label = 'positive') AS positive,
        count(*) FILTER (WHERE sentiment_label = 'neutral') AS neutral,
        count(*) FILTER (WHERE sentiment_label = 'negative') AS negative,
        count(complaint) AS complaint_known,
        count(*) FILTER (WHERE complaint) AS complaints
    FROM conv GROUP BY ALL
)
SELECT day, provider, account,
    m.scored::INTEGER AS scored_messages,
    customer_sentiment_mean,
    m.positive / nullif(m.scored, 0) AS positive_share,
    m.neutral / nullif(m.scored, 0) AS neutral_share,
    m.negative / nullif(m.scored, 0) AS negative_share,
    coalesce(c.scored, 0)::INTEGER AS scored_conversations,
    c.positive / nullif(c.scored, 0) AS conversation_positive_share,
    c.neutral / nullif(c.scored, 0) AS conversation_neutral_share,
    c.negative / nullif(c.scored, 0) AS conversation_negative_share,
    coalesce(c.complaints, 0)::INTEGER AS complaint_conversations,
    c.complaints / nullif(c.complaint_known, 0) AS complaint_share,
    compared::INTEGER AS provider_labeled_messages,
    agrees / nullif(compared, 0) AS provider_agreement_rate
FROM by_message m LEFT JOIN by_conversation c USING (day, provider, account)
ORDER BY day, provider, account
"""

CUSTOMERS = "SELECT DISTINCT day, account, customer_id FROM conv WHERE customer_id IS NOT NULL ORDER BY day"

#: Customers seen on the days before a range: the look-back window's rows.
EARLIER_SCHEMA = pa.schema(
    [pa.field("day", pa.date32()), pa.field("account", pa.string()), pa.field("customer_id", pa.string())]
)


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for derived tables; one per step serves every day of its range."""
    con = duckdb.connect(config={"threads": 1})
    # Timestamps come back as UTC, whatever the machine's zone.
    con.execute("SET TimeZone = 'UTC'")
    return con


def day_column(day: str, n: int) -> pa.Array:
    """`n` rows of the date `day`: the column every query groups by first."""
    return pa.array(np.full(n, np.datetime64(day, "D")), pa.date32())


def seen_on(day: str, pairs: pa.Table) -> pa.Table:
    """(account, customer_id) pairs seen on `day`, as rows of the look-back (`EARLIER_SCHEMA`)."""
    return pa.table(
        [day_column(day, pairs.num_rows), pairs["account"], pairs["customer_id"]], schema=EARLIER_SCHEMA
    )


def _with_day(day: str, messages: pa.Table) -> pa.Table:
    messages = schemas.conform("messages", messages)
    return messages.append_column("day", day_column(day, messages.num_rows))


class RangeTables:
    """The derived tables of several days' messages, each query run once for all of them.

    A day's query costs DuckDB a few milliseconds whatever its size (planning, the window
    function, handing back Arrow), so a backfill of a year spent more time starting queries than
    computing; the days of a range are therefore stacked with a `day` column, every query groups
    by it first, and each result is cut back into days. A day's tables are the same as if the
    day were computed alone. `earlier` holds the (day, account, customer_id) triples of the
    `LOOKBACK_DAYS` days before the first one, for `returning_customers` (the range's own days
    count for the days after them); without it nobody is returning on the first days. Given
    `con`, the range is computed in that connection and it stays open; else a connection of its
    own is opened and closed with the context.
    """

    def __init__(
        self,
        days: Mapping[str, pa.Table],
        earlier: pa.Table | None = None,
        con: duckdb.DuckDBPyConnection | None = None,
    ):
        self.days = list(days)
        self.own = con is None
        self.con = connect() if con is None else con
        stacked = [_with_day(day, messages) for day, messages in days.items()]
        self.con.register(
            "messages",
            pa.concat_tables(stacked) if stacked else _with_day("2000-01-01", schemas.empty("messages")),
        )
        self.con.register("earlier", earlier if earlier is not None else EARLIER_SCHEMA.empty_table())
        self.con.execute(CONVERSATION_TABLE)

    def __enter__(self) -> RangeTables:
        return self

    def __exit__(self, *exc: object) -> None:
        self.con.unregister("messages")
        self.con.unregister("earlier")
        if self.own:
            self.con.close()

    def _split(self, sql: str) -> dict[str, pa.Table]:
        """The result of `sql` (ordered by day first) as one table per day of the range."""
        result = self.con.sql(sql).to_arrow_table()
        by_day = {day: result.slice(0, 0) for day in self.days}
        runs = pc.run_end_encode(result.column("day").combine_chunks())
        start = 0
        for day, end in zip(runs.values.to_pylist(), runs.run_ends.to_pylist(), strict=True):
            by_day[day.isoformat()] = result.slice(start, end - start)
            start = end
        return {day: table.drop_columns(["day"]) for day, table in by_day.items()}

    def _query(self, table: str, sql: str) -> dict[str, pa.Table]:
        return {day: schemas.conform(table, t) for day, t in self._split(sql).items()}

    def conversations(self) -> dict[str, pa.Table]:
        return self._query("conversations", CONVERSATIONS)

    def engagement(self) -> dict[str, pa.Table]:
        return self._query("engagement_daily", ENGAGEMENT)

    def agents(self) -> dict[str, pa.Table]:
        return self._query("agent_daily", AGENTS)

    def sentiment(self) -> dict[str, pa.Table]:
        return self._query("sentiment_daily", SENTIMENT)

    def customers(self) -> dict[str, pa.Table]:
        """Each day's distinct (account, customer_id) pairs: its entry in the look-back window."""
        return self._split(CUSTOMERS)


class DayTables:
    """The derived tables of one day's messages (a range of one day; which day is immaterial).

    `earlier` holds the (account, customer_id) pairs seen on the days of the look-back.
    """

    DAY, BEFORE = "2000-01-31", "2000-01-30"

    def __init__(
        self,
        messages: pa.Table,
        earlier: pa.Table | None = None,
        con: duckdb.DuckDBPyConnection | None = None,
    ):
        dated = None if earlier is None else seen_on(self.BEFORE, earlier)
        self.range = RangeTables({self.DAY: messages}, dated, con)

    def __enter__(self) -> DayTables:
        return self

    def __exit__(self, *exc: object) -> None:
        self.range.__exit__(*exc)

    def conversations(self) -> pa.Table:
        return self.range.conversations()[self.DAY]

    def conversation_flags(self) -> dict[str, dict[str, bool]]:
        """`has_reply` and `abandoned` per conversation id: the engagement inputs no table stores."""
        rows = self.range.con.sql("SELECT conversation_id, has_reply, abandoned FROM conv").fetchall()
        return {cid: {"has_reply": reply, "abandoned": abandoned} for cid, reply, abandoned in rows}

    def engagement(self) -> pa.Table:
        return self.range.engagement()[self.DAY]

    def agents(self) -> pa.Table:
        return self.range.agents()[self.DAY]

    def sentiment(self) -> pa.Table:
        return self.range.sentiment()[self.DAY]
