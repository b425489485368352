"""The guard against tuning normalizers to one rendering: every simulator variant, the same warehouse.

Each variant renders the same deterministic conversations from the same vendor documents in a
different faithful way (field order, optional fields, `name`/`names`, result order, Multichat CSV
layouts, encodings, date formats; see `chat_assets/simulator/rendering.py`). The whole graph is
materialized for the same days against each, through Dagster with a real instance, and every
warehouse table must be identical apart from `raw_ref` (which names the variant's own files).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pyarrow as pa
import pytest

from chat_assets.simulator import Simulator, SimulatorConfig
from chat_assets.simulator.server import VARIANTS
from chat_assets_tests.conftest import materialize
from chat_assets_tests.test_integration import VENDORS, setup

DAYS = ("2025-10-02", "2025-10-03")
TABLES = ("messages", "conversations", "engagement_daily", "agent_daily", "sentiment_daily", "captures")


def warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variant: str
) -> dict[tuple[str, str, str], pa.Table]:
    with (
        Simulator(SimulatorConfig(volume=(6, 10), variant=variant)) as sim,
        dg.instance_for_test() as instance,
    ):
        defs, store = setup(sim, tmp_path / variant, monkeypatch, DAYS)
        result = materialize(defs, "*", DAYS[0], DAYS[1], instance=instance, raise_on_error=False)
        assert result.success, [e.step_failure_data.error for e in result.all_events if e.is_step_failure]
    out = {}
    for table in TABLES:
        for day in DAYS:
            for vendor in VENDORS if table != "captures" else ("multichat",):
                data = store.read_table(table, day, vendor)
                assert data is not None, (variant, table, day, vendor)
                out[(table, day, vendor)] = data.drop_columns(
                    [c for c in ("raw_ref",) if c in data.column_names]
                )
    return out


def test_every_variant_gives_the_same_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reference = warehouse(tmp_path, monkeypatch, "default")
    assert sum(t.num_rows for (name, _, _), t in reference.items() if name == "messages") > 500
    for variant in VARIANTS[1:]:
        other = warehouse(tmp_path, monkeypatch, variant)
        for key, table in reference.items():
            assert other[key].num_rows == table.num_rows, (variant, key)
            assert other[key].equals(table), (variant, key, _first_difference(table, other[key]))


def _first_difference(a: pa.Table, b: pa.Table) -> str:
    for name in a.column_names:
        left, right = a.column(name).to_pylist(), b.column(name).to_pylist()
        for i, (x, y) in enumerate(zip(left, right, strict=False)):
            if x != y:
                return f"column {name} row {i}: {x!r} != {y!r}"
    return "schemas or metadata differ"
