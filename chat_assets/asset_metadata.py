"""What the UI shows about a table: row counts, per-role counts, a preview, the column schema.

Written once for the normalized and the derived assets, so every table's page in the UI reads
the same way and the column schema shown is always the one `schemas.py` enforces.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc

from chat_assets import schemas


def preview(table: pa.Table, columns: Iterable[str], rows: int = 5) -> str:
    """The first rows as a Markdown table (cells cut at 60 characters)."""
    cols = [c for c in columns if c in table.column_names]
    if not table.num_rows:
        return "_no rows: the vendor reported no activity for this day_"
    head = table.select(cols).slice(0, rows).to_pylist()
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in head:
        cells = []
        for c in cols:
            text = "" if row[c] is None else str(row[c]).replace("\n", " ").replace("|", "/")
            cells.append(text[:60])
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def table_metadata(name: str, table: pa.Table) -> dict[str, Any]:
    """A day's metadata for a canonical table: its row count, and for messages who said how much."""
    metadata: dict[str, Any] = {"dagster/row_count": table.num_rows}
    if name == "messages":
        roles = pc.value_counts(table.column("sender_role")).to_pylist() if table.num_rows else []
        counts = {r["values"]: r["counts"] for r in roles}
        columns = ["account", "conversation_id", "seq", "sent_at", "sender_role", "content_type", "text"]
        metadata.update(
            {
                "messages": table.num_rows,
                "conversations": len(pc.unique(table.column("conversation_id"))) if table.num_rows else 0,
                "customer_messages": counts.get("customer", 0),
                "bot_messages": counts.get("bot", 0),
                "agent_messages": counts.get("agent", 0),
                "preview": dg.MetadataValue.md(preview(table, columns)),
            }
        )
    elif name == "captures":
        rows = pc.binary_join_element_wise(
            table.column("bot"), pc.cast(table.column("row"), pa.string()), ":"
        )
        metadata["capture_rows"] = len(pc.unique(rows)) if table.num_rows else 0
        metadata["preview"] = dg.MetadataValue.md(preview(table, ["account", "bot", "row", "field", "value"]))
    return metadata


def column_schema(name: str) -> dg.TableSchema:
    """The canonical columns of `name`, as the UI's column schema."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(f.name, str(f.type), constraints=dg.TableColumnConstraints(nullable=f.nullable))
            for f in schemas.TABLES[name]
        ]
    )
