"""Data checks shared by every vendor's messages and by the derived tables.

Each check is a plain function over Arrow tables returning (passed, metadata), so it is unit
tested on crafted partitions; `check_result` turns a run's days of outcomes into one Dagster
asset check result. Checks
that protect downstream tables (ids, vocabularies, conversation consistency) are blocking.

`sent_at` tolerance: a message may lie up to 24 hours outside its partition's day, because
vendors that report by close date (Wolkvox) return whole conversations that cross midnight.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc

from chat_assets import schemas
from chat_assets.partitions import day_bounds, shifted

SENT_AT_TOLERANCE = timedelta(hours=24)
Result = tuple[bool, dict[str, Any]]


def unique_message_ids(messages: pa.Table) -> Result:
    keys = messages.select(["provider", "account", "message_id"])
    counts = keys.group_by(["provider", "account", "message_id"]).aggregate([("message_id", "count")])
    dups = counts.filter(pc.greater(counts.column("message_id_count"), 1))
    examples = [f"{r['provider']}/{r['account']}/{r['message_id']}" for r in dups.slice(0, 5).to_pylist()]
    return dups.num_rows == 0, {"duplicated_ids": dups.num_rows, "examples": ", ".join(examples) or "none"}


def vocabularies(messages: pa.Table) -> Result:
    roles = schemas.outside_vocabulary(messages, "sender_role", schemas.SENDER_ROLES)
    types = schemas.outside_vocabulary(messages, "content_type", schemas.CONTENT_TYPES)
    return not roles and not types, {
        "unknown_sender_roles": ", ".join(roles) or "none",
        "unknown_content_types": ", ".join(types) or "none",
    }


def sent_at_within_day(messages: pa.Table, day: str, tz: str) -> Result:
    start, end = day_bounds(day, tz)
    ts = pa.timestamp("us", tz="UTC")
    sent = messages.column("sent_at")
    lo, hi = pa.scalar(shifted(start, -SENT_AT_TOLERANCE), ts), pa.scalar(shifted(end, SENT_AT_TOLERANCE), ts)
    outside = pc.sum(pc.or_(pc.less(sent, lo), pc.greater_equal(sent, hi))).as_py() or 0
    in_day = pc.and_(pc.greater_equal(sent, pa.scalar(start, ts)), pc.less(sent, pa.scalar(end, ts)))
    spill = (pc.sum(pc.invert(in_day)).as_py() or 0) - outside
    return outside == 0, {
        "outside_tolerance": outside,
        "outside_day_within_tolerance": spill,
        "tolerance_hours": int(SENT_AT_TOLERANCE.total_seconds() // 3600),
    }


def conversations_have_messages(conversations: pa.Table, messages: pa.Table) -> Result:
    key = ["provider", "account", "conversation_id"]
    present = messages.select(key).group_by(key).aggregate([])
    joined = conversations.select([*key, "n_messages"]).join(
        present.append_column("found", pa.array([True] * present.num_rows, pa.bool_())),
        keys=key,
        join_type="left outer",
    )
    orphans = pc.sum(
        pc.or_(pc.is_null(joined.column("found")), pc.less_equal(joined.column("n_messages"), 0))
    )
    orphans = orphans.as_py() or 0
    return orphans == 0, {"conversations_without_messages": orphans}


def message_counts_match(conversations: pa.Table, messages: pa.Table) -> Result:
    counted = pc.sum(conversations.column("n_messages")).as_py() or 0
    return counted == messages.num_rows, {"sum_n_messages": counted, "messages": messages.num_rows}


def check_result(
    spec: dg.AssetCheckSpec, outcomes: Sequence[tuple[str, bool, dict[str, Any]]]
) -> dg.AssetCheckResult:
    """One result for the days of a run: passed when every day passed; failing days are listed."""
    failing = [(day, meta) for day, passed, meta in outcomes if not passed]
    metadata: dict[str, Any] = {
        "days_checked": len(outcomes),
        "days_failing": ", ".join(d for d, _ in failing) or "none",
    }
    first = failing[0][1] if failing else (outcomes[-1][2] if outcomes else {})
    metadata.update(first)
    return dg.AssetCheckResult(
        asset_key=spec.asset_key,
        check_name=spec.name,
        passed=not failing,
        metadata=metadata,
        severity=dg.AssetCheckSeverity.ERROR if spec.blocking else dg.AssetCheckSeverity.WARN,
    )
