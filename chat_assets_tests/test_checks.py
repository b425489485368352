"""Each check fails on a crafted bad partition; a blocking failure keeps downstream tables unbuilt."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pyarrow as pa

from chat_assets import checks, partitions, schemas
from chat_assets.analytics.assets import build_derived_assets
from chat_assets.analytics.tables import DayTables
from chat_assets.normalized_asset import normalized_assets
from chat_assets.settings import StoreResource
from chat_assets.storage import DataStore
from chat_assets_tests.test_analytics import MESSAGES, msg, table

DAY = "2025-10-03"


def test_duplicate_message_ids_fail() -> None:
    assert checks.unique_message_ids(MESSAGES)[0]
    bad = pa.concat_tables([MESSAGES, MESSAGES.slice(0, 1)])
    passed, meta = checks.unique_message_ids(bad)
    assert not passed and meta["duplicated_ids"] == 1 and meta["examples"] == "wolkvox/0042/A:0"


def test_unknown_vocabulary_fails() -> None:
    assert checks.vocabularies(MESSAGES)[0]
    bad = MESSAGES.set_column(6, "sender_role", pa.array(["robot"] + ["bot"] * (MESSAGES.num_rows - 1)))
    passed, meta = checks.vocabularies(bad)
    assert not passed and meta["unknown_sender_roles"] == "robot"


def test_sent_at_far_from_the_day_fails_but_close_date_spill_passes() -> None:
    assert checks.sent_at_within_day(MESSAGES, DAY, "America/Bogota")[0]
    spill = table([msg("S", 0, "customer", 0)])  # 15:00 UTC = 10:00 Bogotá on the day
    late = spill.set_column(5, "sent_at", pa.array([datetime(2025, 10, 4, 20, tzinfo=UTC)], schemas.UTC_TS))
    passed, meta = checks.sent_at_within_day(late, DAY, "America/Bogota")
    assert passed and meta["outside_day_within_tolerance"] == 1
    far = spill.set_column(5, "sent_at", pa.array([datetime(2025, 10, 1, tzinfo=UTC)], schemas.UTC_TS))
    passed, meta = checks.sent_at_within_day(far, DAY, "America/Bogota")
    assert not passed and meta["outside_tolerance"] == 1


def test_conversation_without_messages_fails() -> None:
    conversations = DayTables(MESSAGES).conversations()
    assert checks.conversations_have_messages(conversations, MESSAGES)[0]
    fewer = MESSAGES.filter(pa.compute.not_equal(MESSAGES.column("conversation_id"), "D"))
    passed, meta = checks.conversations_have_messages(conversations, fewer)
    assert not passed and meta["conversations_without_messages"] == 1


def test_message_count_mismatch_fails() -> None:
    conversations = DayTables(MESSAGES).conversations()
    assert checks.message_counts_match(conversations, MESSAGES)[0]
    passed, meta = checks.message_counts_match(conversations, MESSAGES.slice(1))
    assert not passed and meta == {"sum_n_messages": 11, "messages": 10}


def duplicating_normalizer(inp):  # type: ignore[no-untyped-def]
    rows = [
        msg("A", 0, "customer", 0, provider="jelou", account=inp.account),
        msg("A", 1, "bot", 2, provider="jelou", account=inp.account),
    ]
    rows[1]["message_id"] = rows[0]["message_id"]  # a vendor bug: two messages, one id
    return {"messages": table(rows)}


def test_a_blocking_check_failure_keeps_conversations_unbuilt(tmp_path: Path) -> None:
    store = DataStore(str(tmp_path / "data"))
    with store.raw_fetch("jelou", DAY, "bot-1", {}) as fetch:
        fetch.add("page-0001.json", b"{}")
    normalized = normalized_assets(
        vendor="jelou",
        tables=("messages",),
        partitions_def=partitions.daily("America/Bogota"),
        normalize_one=functools.partial(duplicating_normalizer),
        description="test",
    )
    raw = dg.AssetSpec(dg.AssetKey(["jelou", "raw"]), partitions_def=partitions.daily("America/Bogota"))
    assets = [normalized, *build_derived_assets("jelou", "America/Bogota")]
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [*assets, raw],
            selection=[dg.AssetKey(["jelou", "messages"]), dg.AssetKey(["jelou", "conversations"])],
            resources={"store": StoreResource(data_dir=str(tmp_path / "data"))},
            partition_key=DAY,
            instance=instance,
            raise_on_error=False,
        )
        evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
        assert evaluations["message_ids_unique"].passed is False
        assert evaluations["vocabularies"].passed is True
        materialized = {e.asset_key for e in result.get_asset_materialization_events()}
        assert dg.AssetKey(["jelou", "messages"]) in materialized
        assert dg.AssetKey(["jelou", "conversations"]) not in materialized
    assert store.read_table("conversations", DAY, "jelou") is None
