"""A year of derived tables for every vendor, through the real assets: `python -m benchmarks.derived`.

    python -m benchmarks.derived [--days 365] [--conversations 150] [--keep DIR]

A warehouse of canonical `messages` is written first (D days x 5 vendors x 2 accounts, about
`--conversations` conversations per account-day, customers drawn from a pool so that many
return within 30 days; Neoagent and Wannabot without per-message times, as they send them). Then
each vendor's derived assets (`conversations`, `engagement_daily` + `agent_daily`,
`sentiment_daily`) are materialized over the whole range in one in-process Dagster run, the way
a backfill runs them (single-run range). Printed: the time per vendor and in all, the messages
per second, and `BENCH derived.year_s <s> s` (the sum over vendors: the CPU time a year costs).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

VENDORS = ("multichat", "wolkvox", "jelou", "neoagent", "wannabot")
UNTIMED = {"neoagent", "wannabot"}


def day_messages(
    vendor: str, account: str, day: str, conversations: int, rng: np.random.Generator
) -> pa.Table:
    """One account-day of canonical messages, built column-wise (a year is millions of rows)."""
    from chat_assets import schemas

    n_conv = int(rng.integers(conversations * 8 // 10, conversations * 12 // 10 + 1))
    lengths = rng.integers(3, 26, n_conv)
    total = int(lengths.sum())
    conv = np.repeat(np.arange(n_conv), lengths)
    starts = np.cumsum(lengths) - lengths
    seq = np.arange(total) - np.repeat(starts, lengths)
    # bot greets, then customer and bot alternate; a fifth of conversations go to an agent halfway.
    handed = np.repeat(rng.random(n_conv) < 0.2, lengths) & (seq >= np.repeat(lengths // 2, lengths))
    role = np.where(seq == 0, "bot", np.where(seq % 2 == 1, "customer", np.where(handed, "agent", "bot")))
    base = np.datetime64(f"{day}T00:00:00", "us").astype("int64")
    conv_start = base + rng.integers(0, 86_000, n_conv) * 1_000_000
    gaps = rng.integers(1, 90, total) * 1_000_000
    offset = np.cumsum(gaps) - np.repeat(np.cumsum(gaps)[starts] - gaps[starts], lengths)
    sent = np.repeat(conv_start, lengths) + offset
    sent_at = pa.array(sent, pa.timestamp("us", tz="UTC"))
    if vendor in UNTIMED:
        sent_at = pa.array(np.where(seq == 0, sent, 0), pa.timestamp("us", tz="UTC"), mask=seq != 0)
    customers = np.repeat(rng.integers(0, 4_000, n_conv), lengths)
    agents = np.repeat(rng.integers(0, 12, n_conv), lengths)
    scored = (role != "bot") & (rng.random(total) < 0.8)
    score = np.round(rng.uniform(-1, 1, total), 3)
    ids = [f"{day}-{account}-{c}" for c in range(n_conv)]
    conv_ids = pa.array(ids).take(pa.array(conv))
    text = pa.array(["hola, necesito ayuda con mi pedido"] * total)
    columns = {
        "provider": pa.array([vendor] * total),
        "account": pa.array([account] * total),
        "conversation_id": conv_ids,
        "message_id": pa.array([f"m{i}" for i in range(total)]),
        "seq": pa.array(seq, pa.int32()),
        "sent_at": sent_at,
        "sender_role": pa.array(role),
        "sender_id": pa.nulls(total, pa.string()),
        "sender_name": pa.nulls(total, pa.string()),
        "customer_id": pa.array([f"cust-{c}" for c in customers]),
        "customer_name": pa.nulls(total, pa.string()),
        "agent_name": pa.array(np.char.add("agente-", agents.astype(str)), mask=role != "agent"),
        "channel": pa.array(["whatsapp"] * total),
        "content_type": pa.array(["text"] * total),
        "text": text,
        "media_url": pa.nulls(total, pa.string()),
        "is_fallback": pa.array(rng.random(total) < 0.03),
        "provider_sentiment": (
            pa.array(np.where(score > 0, "positive", "negative"), mask=~scored)
            if vendor == "wolkvox"
            else pa.nulls(total, pa.string())
        ),
        "sentiment": pa.array(score.astype("float32"), mask=~scored),
        "complaint": pa.array(score < -0.5, mask=~(scored & (role == "customer"))),
        "raw_ref": pa.array(["raw/bench#0"] * total),
    }
    return schemas.conform("messages", pa.table(columns))


def write_warehouse(root: str, days: list[str], conversations: int) -> int:
    from chat_assets.storage import DataStore

    store, rng, total = DataStore(root), np.random.default_rng(7), 0
    for vendor in VENDORS:
        for day in days:
            rel = store.table_path("messages", day, vendor)
            if store.exists(rel):  # --keep DIR of an earlier run: the same warehouse again
                total += pq.ParquetFile(store.abspath(rel)).metadata.num_rows
                continue
            tables = [day_messages(vendor, f"acct-{a}", day, conversations, rng) for a in (1, 2)]
            table = pa.concat_tables(tables)
            store.write_table("messages", day, vendor, table)
            total += table.num_rows
    return total


def derive(root: str, days: list[str]) -> dict[str, float]:
    import dagster as dg

    from chat_assets.analytics.assets import build_derived_assets
    from chat_assets.settings import StoreResource

    tz = "UTC"
    seconds: dict[str, float] = {}
    for vendor in VENDORS:
        assets = build_derived_assets(vendor, tz)
        started = time.perf_counter()
        result = dg.materialize(
            assets,
            resources={"store": StoreResource(data_dir=root, timezone=tz)},
            tags={
                "dagster/asset_partition_range_start": days[0],
                "dagster/asset_partition_range_end": days[-1],
            },
            raise_on_error=True,
        )
        seconds[vendor] = time.perf_counter() - started
        assert result.success
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--conversations", type=int, default=150, help="per account-day (2 accounts)")
    parser.add_argument(
        "--keep", help="write the warehouse here and keep it, or reuse it (default: a temporary folder)"
    )
    args = parser.parse_args(argv)
    first = date(2025, 1, 1)
    days = [(first + timedelta(days=i)).isoformat() for i in range(args.days)]
    with tempfile.TemporaryDirectory(prefix="bench-derived-") as tmp:
        root = args.keep or tmp
        os.makedirs(root, exist_ok=True)
        started = time.perf_counter()
        messages = write_warehouse(root, days, args.conversations)
        print(
            f"warehouse: {messages:,} messages over {len(days)} days x {len(VENDORS)} vendors "
            f"written in {time.perf_counter() - started:.1f} s"
        )
        seconds = derive(root, days)
    total = sum(seconds.values())
    print(f"\n{'vendor':<10} {'derived s':>10}")
    for vendor, s in seconds.items():
        print(f"{vendor:<10} {s:>10.1f}")
        print(f"BENCH derived.{vendor}.range_s {s:.2f} s")
    print(f"{'all':<10} {total:>10.1f}   ({messages / total:,.0f} messages/s)")
    print(f"BENCH derived.days {len(days)} days")
    print(f"BENCH derived.messages {messages} messages")
    if len(days) != 365:
        print(f"(derived.year_s below is scaled from {len(days)} days to 365)")
    print(f"BENCH derived.year_s {total * 365 / len(days):.2f} s")
    print(f"BENCH derived.msgs_per_s {messages / total:.0f} msgs/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
