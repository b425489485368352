"""Ask the warehouse a question in SQL: `python -m chat_assets.query "select ..."`, or a shell.

    python -m chat_assets.query [SQL] [--data-dir DIR_OR_URL] [--format table|csv|json] [--max-rows N]

DuckDB opens the warehouse where it lies (a local data dir or an object store such as
`s3://bucket/prefix`, read through the same fsspec filesystem the pipeline writes with, so the
same `AWS_*` variables apply) with one view per canonical table: messages, conversations,
engagement_daily, agent_daily, sentiment_daily, captures. Each view is every vendor's files of
every day, with the partition's `date` as a column. A table nothing has written yet is an empty
view with its canonical columns, so a query never fails for lack of data.

With no SQL argument: SQL is read from standard input when it is not a terminal (scripts, pipes),
else an interactive shell opens (statements end with `;`; `.tables`, `.schema <view>`, `.quit`).
Nothing is ever written: the views are read-only and the database is in memory.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv

from chat_assets import schemas
from chat_assets.settings import DEFAULT_DATA_DIR
from chat_assets.storage import DataStore

VIEWS = ("messages", "conversations", "engagement_daily", "agent_daily", "sentiment_daily", "captures")


def connect(data_dir: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per canonical table over `data_dir`'s warehouse."""
    store = DataStore(data_dir)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if store.is_local:
        prefix = store.base
    else:
        # DuckDB reads the object store through our own fsspec filesystem (no DuckDB extension,
        # nothing downloaded), so credentials and endpoint are the pipeline's.
        con.register_filesystem(store.fs)
        protocol = store.fs.protocol if isinstance(store.fs.protocol, str) else store.fs.protocol[0]
        prefix = f"{protocol}://{store.base}"
    for view in VIEWS:
        # One listing per day until the first Parquet file: a year on an object store is not 365 calls.
        written = any(
            f.endswith(".parquet")
            for day in store.list_dirs(f"warehouse/{view}")
            for f in store.list_files(f"warehouse/{view}/{day}")
        )
        if written:
            glob = f"{prefix}/warehouse/{view}/date=*/*.parquet"
            con.execute(
                f"CREATE VIEW {view} AS SELECT * FROM read_parquet('{_quote(glob)}', "
                "hive_partitioning = true, hive_types = {'date': DATE}, union_by_name = true)"
            )
        else:
            empty = schemas.TABLES[view].empty_table().append_column("date", pa.array([], pa.date32()))
            con.register(f"_empty_{view}", empty)
            con.execute(f"CREATE VIEW {view} AS SELECT * FROM _empty_{view}")
    return con


def _quote(text: str) -> str:
    return text.replace("'", "''")


def render(con: duckdb.DuckDBPyConnection, sql: str, fmt: str, max_rows: int) -> None:
    """Run each statement of `sql` (DuckDB's own parser splits them) and print each result."""
    for statement in con.extract_statements(sql):
        _render_one(con, statement.query, fmt, max_rows)


def _render_one(con: duckdb.DuckDBPyConnection, sql: str, fmt: str, max_rows: int) -> None:
    relation = con.sql(sql)
    if relation is None:  # a statement without a result (SET, PRAGMA...)
        return
    if fmt == "table":
        relation.show(max_rows=max_rows, max_width=10_000)
        return
    table = relation.to_arrow_table()
    if fmt == "csv":
        pacsv.write_csv(table, sys.stdout.buffer)
        sys.stdout.buffer.flush()
    else:
        for row in table.to_pylist():
            print(json.dumps(row, default=str, ensure_ascii=False))


def statements(lines: Iterable[str]) -> Iterable[str]:
    """SQL statements from lines, split where a line ends with `;`, dot-commands as they come."""
    buffer: list[str] = []
    for line in lines:
        if not buffer and line.strip().startswith("."):
            yield line.strip()
            continue
        buffer.append(line)
        if line.rstrip().endswith(";"):
            yield "\n".join(buffer)
            buffer = []
    if "".join(buffer).strip():
        yield "\n".join(buffer)


def dot_command(con: duckdb.DuckDBPyConnection, command: str) -> bool:
    """Run `.tables`, `.schema <view>`; False for `.quit`."""
    name, _, arg = command.partition(" ")
    if name in (".quit", ".exit", ".q"):
        return False
    if name == ".tables":
        print("  ".join(VIEWS))
    elif name == ".schema" and arg.strip():
        render(con, f"DESCRIBE {arg.strip()}", "table", 200)
    else:
        print("commands: .tables  .schema <view>  .quit   (SQL statements end with ;)")
    return True


def shell(con: duckdb.DuckDBPyConnection, fmt: str, max_rows: int, data_dir: str) -> int:
    print(f"chat_assets warehouse at {data_dir}: views {', '.join(VIEWS)}")
    print("SQL statements end with ';'  (.tables, .schema <view>, .quit)")

    def lines() -> Iterable[str]:
        prompt = "sql> "
        while True:
            try:
                line = input(prompt)
            except EOFError:
                print()
                return
            prompt = "...> " if not line.rstrip().endswith(";") and line.strip() else "sql> "
            yield line

    for statement in statements(lines()):
        if statement.startswith("."):
            if not dot_command(con, statement):
                break
            continue
        try:
            render(con, statement, fmt, max_rows)
        except duckdb.Error as exc:
            print(f"error: {exc}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m chat_assets.query",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("sql", nargs="?", help="the SQL to run (default: standard input, or a shell)")
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("CHAT_ASSETS_DATA_DIR") or DEFAULT_DATA_DIR,
        help="the data dir or object-store URL (default: CHAT_ASSETS_DATA_DIR, else %(default)s)",
    )
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    parser.add_argument("--max-rows", type=int, default=100, help="rows shown in table format")
    args = parser.parse_args(argv)
    try:
        con = connect(args.data_dir)
    except (OSError, duckdb.Error) as exc:
        print(f"cannot open the warehouse at {args.data_dir}: {exc}", file=sys.stderr)
        return 2
    if args.sql is None and sys.stdin.isatty():
        return shell(con, args.format, args.max_rows, args.data_dir)
    sql = args.sql if args.sql is not None else sys.stdin.read()
    try:
        for statement in statements(sql.splitlines()):
            if statement.startswith("."):
                dot_command(con, statement)
            else:
                render(con, statement, args.format, args.max_rows)
    except duckdb.Error as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
