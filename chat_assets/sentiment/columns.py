"""Fill the `sentiment` column of canonical messages: customer and agent text only."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chat_assets.sentiment.backends import Scorer, get_scorer

SCORED_ROLES = pa.array(["customer", "agent"])


def with_sentiment(messages: pa.Table, scorer: Scorer | None = None) -> pa.Table:
    """Score customer and agent text messages; bot messages, media and empty text stay null."""
    n = messages.num_rows
    if not n:
        return messages
    scorer = scorer or get_scorer()
    text = messages.column("text")
    wanted = pc.and_(
        pc.and_(
            pc.is_in(messages.column("sender_role"), SCORED_ROLES),
            pc.equal(messages.column("content_type"), "text"),
        ),
        pc.greater(pc.utf8_length(pc.fill_null(text, "")), 0),
    )
    where = pc.indices_nonzero(wanted).to_numpy()
    values = np.full(n, np.nan, dtype=np.float32)
    if len(where):
        scores = scorer.score_many(pc.take(text, pa.array(where)).to_pylist())
        values[where] = np.array([np.nan if s is None else s for s in scores], dtype=np.float32)
    column = pa.array(values, type=pa.float32(), mask=np.isnan(values))
    return messages.set_column(messages.schema.get_field_index("sentiment"), "sentiment", column)
