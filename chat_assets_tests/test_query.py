"""`python -m chat_assets.query`: views over the warehouse, SQL from an argument, a pipe or a shell.

The README's analyst queries are run here exactly as the README prints them.
"""

from __future__ import annotations

import builtins
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from chat_assets import query
from chat_assets.analytics.tables import DayTables
from chat_assets.storage import DataStore
from chat_assets_tests.test_analytics import MESSAGES

ROOT = Path(__file__).resolve().parent.parent
DAYS = ("2025-10-03", "2025-10-04")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two days of the hand-built messages for two vendors, with their derived tables; no captures."""
    root = tmp_path_factory.mktemp("warehouse")
    store = DataStore(str(root))
    for day in DAYS:
        for vendor in ("wolkvox", "jelou"):
            messages = MESSAGES.set_column(0, "provider", pa.array([vendor] * MESSAGES.num_rows))
            ids = [f"{day[-2:]}-{c}" for c in MESSAGES.column("conversation_id").to_pylist()]
            messages = messages.set_column(2, "conversation_id", pa.array(ids))
            store.write_table("messages", day, vendor, messages)
            with DayTables(messages) as tables:
                store.write_table("conversations", day, vendor, tables.conversations())
                store.write_table("engagement_daily", day, vendor, tables.engagement())
                store.write_table("agent_daily", day, vendor, tables.agents())
                store.write_table("sentiment_daily", day, vendor, tables.sentiment())
    return root


def run(root: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chat_assets.query", "--data-dir", str(root), *args],
        input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={**os.environ, "CHAT_ASSETS_DATA_DIR": "/nonexistent-never-used"},
    )  # fmt: skip


def rows(result: subprocess.CompletedProcess[str]) -> list[dict]:
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def tree(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*")}


def test_every_view_over_every_vendor_and_day(warehouse: Path) -> None:
    before = tree(warehouse)
    sql = (
        "select provider, date::varchar as day, count(*) as n from messages group by all order by all;"
        "select count(*) as n from conversations; select count(*) as n from engagement_daily;"
        "select count(*) as n from agent_daily; select count(*) as n from sentiment_daily;"
        "select count(*) as n from captures"
    )
    out = rows(run(warehouse, "--format", "json", sql))
    per_day = [r for r in out if "provider" in r]
    assert per_day == [
        {"provider": vendor, "day": day, "n": MESSAGES.num_rows}
        for vendor in ("jelou", "wolkvox")
        for day in DAYS
    ]
    counts = [r["n"] for r in out if "provider" not in r]
    assert counts == [4 * 4, 4, 4, 4, 0]  # 4 conversations a vendor-day; nothing wrote captures
    assert tree(warehouse) == before  # it only reads


def test_an_unwritten_table_is_an_empty_view_with_its_columns(warehouse: Path) -> None:
    described = rows(run(warehouse, "--format", "json", "describe captures"))
    names = [r["column_name"] for r in described]
    assert names == ["provider", "account", "bot", "row", "field", "value", "raw_ref", "date"]


def test_readme_analyst_queries_run_as_printed(warehouse: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### Ask the warehouse") :]
    blocks = re.findall(r"```sql\n(.*?)```", section, re.S)[:3]
    assert len(blocks) == 3
    containment, agents, negative = (rows(run(warehouse, "--format", "json", block)) for block in blocks)
    # A week per vendor; conversations A..D, only A has an agent: containment 3 of 4.
    assert {(r["provider"], r["conversations"], r["containment"]) for r in containment} == {
        ("jelou", 8, 0.75),
        ("wolkvox", 8, 0.75),
    }
    assert agents == []  # Laura answers in one conversation a day: under the README's minimum of 5
    # C is the negative conversation (-0.9 and -0.5); its transcript keeps the untimed messages in order.
    assert {(r["provider"], r["conversation_id"]) for r in negative} == {
        (vendor, f"{day[-2:]}-C") for vendor in ("jelou", "wolkvox") for day in DAYS
    }
    assert all(r["transcript"] == "customer: x | bot: x | customer: x" for r in negative)
    assert all(r["sentiment"] == -0.7 for r in negative)


def test_sql_from_a_pipe_with_dot_commands_and_a_clear_error(warehouse: Path) -> None:
    result = run(
        warehouse, "--format", "csv", stdin="select 40 + 2 as answer;\n.tables\nselect * from nope;\n"
    )
    assert result.returncode == 1
    assert result.stdout.splitlines()[:2] == ['"answer"', "42"]
    assert "messages  conversations  engagement_daily" in result.stdout
    assert "nope does not exist" in result.stderr and "Traceback" not in result.stderr


def test_interactive_shell(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    typed = iter(
        ["select count(*) as n", "from messages;", ".schema engagement_daily", "select * from nope;", ".quit"]
    )
    monkeypatch.setattr(builtins, "input", lambda prompt="": next(typed))
    con = query.connect(str(warehouse))
    assert query.shell(con, "csv", 10, str(warehouse)) == 0
    out = capsys.readouterr().out
    assert '"n"\n44\n' in out  # 11 messages x 2 vendors x 2 days, over two typed lines
    assert "returning_customers" in out  # .schema
    assert "error: Catalog Error" in out  # a bad statement is reported and the shell goes on


def test_a_missing_data_dir_is_empty_views_not_a_crash(tmp_path: Path) -> None:
    assert rows(run(tmp_path / "nothing-here", "--format", "json", "select count(*) as n from messages")) == [
        {"n": 0}
    ]
    assert not (tmp_path / "nothing-here").exists()  # nothing is created
