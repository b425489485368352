"""The canonical tables of DESIGN.md as Arrow schemas, and the validator that guards them.

Every warehouse write goes through `conform`, so a table on disk always has exactly these
columns, in this order, with these types; a mismatch names the offending column. Vocabularies
(sender roles, content types) live here too, so normalizers and checks share one definition.
"""

from __future__ import annotations

import pyarrow as pa

from chat_assets.errors import SchemaError

PROVIDERS = ("multichat", "wolkvox", "jelou", "neoagent", "wannabot")
SENDER_ROLES = ("customer", "bot", "agent", "system")
CONTENT_TYPES = (
    "text",
    "image",
    "file",
    "audio",
    "video",
    "location",
    "cards",
    "list",
    "html",
    "sticker",
    "contact",
    "buttons",
    "checkout",
    "push_permission",
    "template",
    "other",
)

UTC_TS = pa.timestamp("us", tz="UTC")

MESSAGES = pa.schema(
    [
        pa.field("provider", pa.string(), nullable=False),
        pa.field("account", pa.string(), nullable=False),
        pa.field("conversation_id", pa.string(), nullable=False),
        pa.field("message_id", pa.string(), nullable=False),
        pa.field("seq", pa.int32(), nullable=False),
        pa.field("sent_at", UTC_TS),
        pa.field("sender_role", pa.string(), nullable=False),
        pa.field("sender_id", pa.string()),
        pa.field("sender_name", pa.string()),
        pa.field("customer_id", pa.string()),
        pa.field("customer_name", pa.string()),
        pa.field("agent_name", pa.string()),
        pa.field("channel", pa.string()),
        pa.field("content_type", pa.string(), nullable=False),
        pa.field("text", pa.string()),
        pa.field("media_url", pa.string()),
        pa.field("is_fallback", pa.bool_(), nullable=False),
        pa.field("provider_sentiment", pa.string()),
        pa.field("sentiment", pa.float32()),
        pa.field("complaint", pa.bool_()),
        pa.field("raw_ref", pa.string(), nullable=False),
    ]
)

CONVERSATIONS = pa.schema(
    [
        pa.field("provider", pa.string(), nullable=False),
        pa.field("account", pa.string(), nullable=False),
        pa.field("conversation_id", pa.string(), nullable=False),
        pa.field("channel", pa.string()),
        pa.field("customer_id", pa.string()),
        pa.field("customer_name", pa.string()),
        pa.field("agent_name", pa.string()),
        pa.field("started_at", UTC_TS),
        pa.field("ended_at", UTC_TS),
        pa.field("duration_s", pa.float64()),
        pa.field("n_messages", pa.int32(), nullable=False),
        pa.field("n_customer", pa.int32(), nullable=False),
        pa.field("n_bot", pa.int32(), nullable=False),
        pa.field("n_agent", pa.int32(), nullable=False),
        pa.field("first_response_s", pa.float64()),
        pa.field("handoff", pa.bool_(), nullable=False),
        pa.field("contained", pa.bool_(), nullable=False),
        pa.field("fallback_count", pa.int32(), nullable=False),
        pa.field("sentiment", pa.float32()),
        pa.field("sentiment_label", pa.string()),
        pa.field("provider_sentiment", pa.string()),
        pa.field("complaint", pa.bool_()),
    ]
)

CAPTURES = pa.schema(
    [
        pa.field("provider", pa.string(), nullable=False),
        pa.field("account", pa.string(), nullable=False),
        pa.field("bot", pa.string(), nullable=False),
        pa.field("row", pa.int32(), nullable=False),
        pa.field("field", pa.string(), nullable=False),
        pa.field("value", pa.string()),
        pa.field("raw_ref", pa.string(), nullable=False),
    ]
)

_DAILY_KEYS = [
    pa.field("provider", pa.string(), nullable=False),
    pa.field("account", pa.string(), nullable=False),
]

ENGAGEMENT_DAILY = pa.schema(
    [
        *_DAILY_KEYS,
        pa.field("conversations", pa.int32(), nullable=False),
        pa.field("messages", pa.int32(), nullable=False),
        pa.field("customer_messages", pa.int32(), nullable=False),
        pa.field("bot_messages", pa.int32(), nullable=False),
        pa.field("agent_messages", pa.int32(), nullable=False),
        pa.field("messages_per_conversation_mean", pa.float64()),
        pa.field("messages_per_conversation_median", pa.float64()),
        pa.field("unique_customers", pa.int32(), nullable=False),
        pa.field("returning_customers", pa.int32(), nullable=False),
        pa.field("first_response_median_s", pa.float64()),
        pa.field("first_response_p90_s", pa.float64()),
        pa.field("duration_median_s", pa.float64()),
        pa.field("containment_rate", pa.float64()),
        pa.field("handoff_rate", pa.float64()),
        pa.field("fallback_rate", pa.float64()),
        pa.field("abandonment_rate", pa.float64()),
    ]
)

AGENT_DAILY = pa.schema(
    [
        *_DAILY_KEYS,
        pa.field("agent_name", pa.string(), nullable=False),
        pa.field("conversations", pa.int32(), nullable=False),
        pa.field("first_response_median_s", pa.float64()),
        pa.field("customer_sentiment_mean", pa.float64()),
    ]
)

SENTIMENT_DAILY = pa.schema(
    [
        *_DAILY_KEYS,
        pa.field("scored_messages", pa.int32(), nullable=False),
        pa.field("customer_sentiment_mean", pa.float64()),
        pa.field("positive_share", pa.float64()),
        pa.field("neutral_share", pa.float64()),
        pa.field("negative_share", pa.float64()),
        pa.field("scored_conversations", pa.int32(), nullable=False),
        pa.field("conversation_positive_share", pa.float64()),
        pa.field("conversation_neutral_share", pa.float64()),
        pa.field("conversation_negative_share", pa.float64()),
        pa.field("complaint_conversations", pa.int32(), nullable=False),
        pa.field("complaint_share", pa.float64()),
        pa.field("provider_labeled_messages", pa.int32(), nullable=False),
        pa.field("provider_agreement_rate", pa.float64()),
    ]
)

TABLES: dict[str, pa.Schema] = {
    "messages": MESSAGES,
    "conversations": CONVERSATIONS,
    "captures": CAPTURES,
    "engagement_daily": ENGAGEMENT_DAILY,
    "agent_daily": AGENT_DAILY,
    "sentiment_daily": SENTIMENT_DAILY,
}


def empty(table: str) -> pa.Table:
    return TABLES[table].empty_table()


def with_added_columns(table: str, data: pa.Table, columns: list[str] | None = None) -> pa.Table:
    """A table written before a nullable column was added, with that column as nulls.

    Parquet files keep the schema they were written with; `messages.complaint` (and the like)
    came later. Reading an older day gives the new columns as nulls, where they were asked for,
    instead of failing; a missing required column is still an error.
    """
    schema = TABLES[table]
    for name in columns if columns is not None else schema.names:
        if name in data.column_names or name not in schema.names:
            continue
        target = schema.field(name)
        if not target.nullable:
            raise SchemaError(table, name, "missing")
        data = data.append_column(target, pa.nulls(data.num_rows, target.type))
    if columns is None:
        data = data.select([n for n in schema.names if n in data.column_names])
    return data


def conform(table: str, data: pa.Table) -> pa.Table:
    """Return `data` with exactly the canonical columns, order and types, or raise SchemaError.

    Safe casts only (e.g. int64 -> int32 when values fit, naive timestamps are rejected rather
    than guessed); non-nullable columns must have no nulls.
    """
    schema = TABLES[table]
    present = set(data.column_names)
    for name in data.column_names:
        if name not in schema.names:
            raise SchemaError(table, name, f"not a column of '{table}' (expected {', '.join(schema.names)})")
    columns = []
    for target in schema:
        if target.name not in present:
            raise SchemaError(table, target.name, "missing")
        column = data.column(target.name)
        if column.type != target.type:
            if pa.types.is_timestamp(column.type) and column.type.tz is None:
                raise SchemaError(table, target.name, "timestamp without time zone; convert to UTC first")
            try:
                column = column.cast(target.type, safe=True)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise SchemaError(
                    table, target.name, f"type {column.type} cannot become {target.type}: {exc}"
                ) from None
        if not target.nullable and column.null_count:
            raise SchemaError(table, target.name, f"{column.null_count} null value(s) in a required column")
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)


def outside_vocabulary(data: pa.Table, column: str, allowed: tuple[str, ...]) -> list[str]:
    import pyarrow.compute as pc

    values = pc.unique(data.column(column).drop_null()).to_pylist()
    return sorted(set(values) - set(allowed))


def validate_messages(data: pa.Table) -> pa.Table:
    """Types and required values are enforced; vocabularies are reported by asset checks."""
    data = conform("messages", data)
    unknown = outside_vocabulary(data, "provider", PROVIDERS)
    if unknown:
        raise SchemaError("messages", "provider", f"values outside the vocabulary: {unknown}")
    return data
