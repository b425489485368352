"""Fill the `sentiment` and `complaint` columns of canonical messages.

`sentiment` is scored for customer and agent text; `complaint` only for customer text (a
complaint is something the customer says: an agent's "lamento la demora" is not one). Bot
messages, media and empty text stay null in both.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chat_assets.sentiment.backends import Scorer, get_scorer
from chat_assets.sentiment.complaints import complaints_of

SCORED_ROLES = pa.array(["customer", "agent"])


def with_sentiment(messages: pa.Table, scorer: Scorer | None = None) -> pa.Table:
    """Score customer and agent text messages and flag customer complaints."""
    n = messages.num_rows
    if not n:
        return messages
    scorer = scorer or get_scorer()
    text = messages.column("text")
    roles = messages.column("sender_role")
    wanted = pc.and_(
        pc.and_(pc.is_in(roles, SCORED_ROLES), pc.equal(messages.column("content_type"), "text")),
        pc.greater(pc.utf8_length(pc.fill_null(text, "")), 0),
    )
    where = pc.indices_nonzero(wanted).to_numpy()
    values = np.full(n, np.nan, dtype=np.float32)
    flags: list[bool | None] = [None] * n
    if len(where):
        texts = pc.take(text, pa.array(where)).to_pylist()
        scores = scorer.score_many(texts)
        values[where] = np.array([np.nan if s is None else s for s in scores], dtype=np.float32)
        customer = pc.equal(pc.take(roles, pa.array(where)), "customer").to_numpy(zero_copy_only=False)
        picked = np.flatnonzero(customer)
        complaints = complaints_of([texts[i] for i in picked], [scores[i] for i in picked])
        for row, flag in zip(where[picked], complaints, strict=True):
            flags[row] = flag
    sentiment = pa.array(values, type=pa.float32(), mask=np.isnan(values))
    complaint = pa.array(flags, type=pa.bool_())
    messages = messages.set_column(messages.schema.get_field_index("sentiment"), "sentiment", sentiment)
    return messages.set_column(messages.schema.get_field_index("complaint"), "complaint", complaint)
