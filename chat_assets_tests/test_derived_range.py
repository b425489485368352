"""A range of days computed in batches gives, day by day, exactly the tables of days computed alone.

The derived assets stack a batch of days into one DuckDB query per table (one query per day cost
more in starting than in computing); `returning_customers` then looks back across the batch's own
days in SQL and across earlier batches through the window. Both must agree with the plain
definition: a day computed alone, given the customers of its previous 30 days.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pytest

from chat_assets.analytics import assets as derived_assets
from chat_assets.analytics.assets import build_derived_assets
from chat_assets.analytics.tables import LOOKBACK_DAYS, DayTables, RangeTables
from chat_assets.settings import StoreResource
from chat_assets.storage import DataStore
from chat_assets_tests.test_analytics import msg, table

FIRST = date(2025, 3, 1)


def day_messages(day: str, rng: random.Random) -> pa.Table:
    """A day of a few conversations by customers from a small pool, so that many return."""
    rows = []
    for n in range(rng.randint(0, 4)):
        conv, customer = f"{day}-{n}", f"c{rng.randint(1, 12)}"
        account = rng.choice(["0042", "0043"])
        roles = ["bot", "customer", "bot", "customer", "agent"][: rng.randint(1, 5)]
        for seq, role in enumerate(roles):
            rows.append(
                msg(
                    conv,
                    seq,
                    role,
                    rng.choice([None, float(seq * 7)]) if seq else 0.0,
                    account=account,
                    customer=customer if rng.random() > 0.1 else None,
                    agent="Laura",
                    sentiment=rng.choice([None, -0.7, 0.0, 0.6]),
                    vendor=rng.choice([None, "negativo", "positive"]),
                    complaint=rng.choice([None, True, False]),
                )
            )
    messages = table(rows)
    # the day's own date, as the stored rows have it
    shift = pa.scalar((date.fromisoformat(day) - FIRST).days * 86_400_000_000, pa.duration("us"))
    return messages.set_column(5, "sent_at", pa.compute.add(messages["sent_at"], shift))


@pytest.fixture(scope="module")
def days() -> dict[str, pa.Table]:
    rng = random.Random(14)
    return {
        (FIRST + timedelta(days=i)).isoformat(): day_messages((FIRST + timedelta(days=i)).isoformat(), rng)
        for i in range(75)
    }


def alone(days: dict[str, pa.Table], day: str) -> dict[str, pa.Table]:
    """The day computed by itself, given the (account, customer_id) pairs of its look-back."""
    first = date.fromisoformat(day)
    earlier = [
        days[d].select(["account", "customer_id"])
        for back in range(1, LOOKBACK_DAYS + 1)
        if (d := (first - timedelta(days=back)).isoformat()) in days
    ]
    pairs = pa.concat_tables(earlier) if earlier else None
    if pairs is not None:
        pairs = pairs.filter(pairs["customer_id"].is_valid())
    with DayTables(days[day], pairs) as tables:
        return {
            "conversations": tables.conversations(),
            "engagement_daily": tables.engagement(),
            "agent_daily": tables.agents(),
            "sentiment_daily": tables.sentiment(),
        }


def test_a_range_at_once_equals_its_days_alone(days: dict[str, pa.Table]) -> None:
    with RangeTables(days) as tables:
        together = {
            "conversations": tables.conversations(),
            "engagement_daily": tables.engagement(),
            "agent_daily": tables.agents(),
            "sentiment_daily": tables.sentiment(),
        }
    returning = 0
    for day in days:
        expected = alone(days, day)
        for name, by_day in together.items():
            assert by_day[day].equals(expected[name]), (name, day)
        returning += sum(expected["engagement_daily"]["returning_customers"].to_pylist())
    assert returning > 50  # the look-back was exercised, not vacuously equal


def test_the_assets_in_small_batches_write_what_days_alone_give(
    days: dict[str, pa.Table], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Batches of 4 days: the look-back crosses batch boundaries through the window of stored days.
    monkeypatch.setattr(derived_assets, "BATCH_DAYS", 4)
    store = DataStore(str(tmp_path))
    for day, messages in days.items():
        store.write_table("messages", day, "wolkvox", messages)
    keys = list(days)
    messages_spec = dg.AssetSpec(
        dg.AssetKey(["wolkvox", "messages"]), partitions_def=dg.DailyPartitionsDefinition(keys[0])
    )
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [*build_derived_assets("wolkvox", "UTC"), messages_spec],
            selection=[
                dg.AssetKey(["wolkvox", t])
                for t in ("conversations", "engagement_daily", "agent_daily", "sentiment_daily")
            ],
            resources={"store": StoreResource(data_dir=str(tmp_path), timezone="UTC")},
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": keys[0],
                "dagster/asset_partition_range_end": keys[-1],
            },
        )
        assert result.success
        per_day = [e.partition for e in result.get_asset_materialization_events()]
        assert sorted(per_day) == sorted(keys * 4)
    for day in keys:
        for name, table_ in alone(days, day).items():
            assert store.read_table(name, day, "wolkvox").equals(table_), (name, day)
