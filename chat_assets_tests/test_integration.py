"""Every connector against the simulator, through Dagster, with a real SQLite instance."""

from __future__ import annotations

import json
import multiprocessing
import urllib.request
from collections import Counter
from datetime import date
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from chat_assets.definitions import build_definitions
from chat_assets.partitions import local_day
from chat_assets.simulator import Simulator, SimulatorConfig
from chat_assets.storage import DataStore
from chat_assets_tests.conftest import materialize, use_env
from chat_assets_tests.ground_truth import convs, previous, roles, wolkvox_spillover

DAYS = ("2025-10-02", "2025-10-03")
VENDORS = ("multichat", "wolkvox", "jelou", "neoagent", "wannabot")


def setup(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, days=DAYS
) -> tuple[dg.Definitions, DataStore]:  # type: ignore[no-untyped-def]
    env = {**sim.env(), "CHAT_ASSETS_DATA_DIR": str(tmp_path / "data")}
    use_env(monkeypatch, env)
    store = DataStore(env["CHAT_ASSETS_DATA_DIR"])
    write_registry(sim, store, days)
    return build_definitions(env), store


def write_registry(sim: Simulator, store: DataStore, days) -> None:  # type: ignore[no-untyped-def]
    for day in days:
        with urllib.request.urlopen(f"{sim.url}/wannabot/_sim/sessions?date={day}") as response:
            sessions = json.loads(response.read())["sessions"]
        lines = ["session_id,created_at", *(f"{s['session_id']},{s['created_at']}" for s in sessions)]
        store.write_bytes(f"inbox/wannabot/{day}.csv", ("\n".join(lines) + "\n").encode())


def warehouse_roles(store: DataStore, vendor: str, day: str) -> dict[str, Counter[str]]:
    table = store.read_table("messages", day, vendor)
    out: dict[str, Counter[str]] = {}
    for row in table.group_by(["account", "sender_role"]).aggregate([("message_id", "count")]).to_pylist():
        out.setdefault(row["account"], Counter())[row["sender_role"]] = row["message_id_count"]
    return out


@pytest.mark.parametrize("vendor", VENDORS)
def test_connector_stores_every_message_once(
    vendor: str, sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instance: dg.DagsterInstance
) -> None:
    defs, store = setup(sim, tmp_path, monkeypatch)
    result = materialize(defs, f"group:{vendor}", DAYS[0], DAYS[1], instance=instance)
    assert result.success
    accounts = sim.config.accounts[vendor]
    for day in DAYS:
        table = store.read_table("messages", day, vendor)
        ids = table.select(["account", "message_id"]).to_pylist()
        assert len(ids) == len({(r["account"], r["message_id"]) for r in ids})  # every message once
        got = warehouse_roles(store, vendor, day)
        for account in accounts:
            expected = roles(sim.config, vendor, account, day)
            if vendor == "wolkvox" and day == DAYS[0]:  # yesterday was not fetched: its spillover stays here
                expected += wolkvox_spillover(sim.config, account, day)
            assert got.get(account, Counter()) == expected, (vendor, account, day)
    # Per-day metadata for the UI's plots, even in a single-run backfill.
    for day in DAYS:
        event = instance.get_latest_materialization_event(dg.AssetKey([vendor, "messages"]))
        assert event is not None
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey([vendor, "messages"]), asset_partitions=[day]),
            limit=1,
        ).records
        metadata = records[0].asset_materialization.metadata
        assert metadata["messages"].value == store.read_table("messages", day, vendor).num_rows
        assert "preview" in metadata


def test_wolkvox_conversation_is_never_stored_twice(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instance: dg.DagsterInstance
) -> None:
    days = ("2025-10-01", "2025-10-02", "2025-10-03", "2025-10-04")
    defs, store = setup(sim, tmp_path, monkeypatch, days)
    assert materialize(defs, "group:wolkvox", days[0], days[-1], instance=instance).success
    seen: dict[str, str] = {}
    total: Counter[str] = Counter()
    for day in days:
        table = store.read_table("messages", day, "wolkvox")
        for cid in set(table.column("conversation_id").to_pylist()):
            assert cid not in seen, f"conversation {cid} stored on {seen.get(cid)} and {day}"
            seen[cid] = day
        total.update(table.column("sender_role").to_pylist())
    # Every message of every conversation, once: the days' own plus what ran in from the day before the range.
    expected = wolkvox_spillover(sim.config, "0042", days[0])
    for day in days:
        expected += roles(sim.config, "wolkvox", "0042", day)
    assert total == expected


def test_wolkvox_backfill_asks_31_day_windows_and_stores_each_day_as_one_day_windows_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instance: dg.DagsterInstance
) -> None:
    days = [f"2025-09-{d:02d}" for d in range(1, 31)] + [f"2025-10-{d:02d}" for d in range(1, 11)]
    reads: Counter[str] = Counter()
    read_bytes = DataStore.read_bytes

    def counted(self: DataStore, rel: str, size: int | None = None) -> bytes:
        reads[rel] += 1
        return read_bytes(self, rel, size)

    monkeypatch.setattr(DataStore, "read_bytes", counted)
    with Simulator(SimulatorConfig(volume=(2, 4), wolkvox_hold_s=0.0)) as sim:
        defs, store = setup(sim, tmp_path, monkeypatch, ())
        assert materialize(defs, "group:wolkvox", days[0], days[-1], instance=instance).success
        # 40 days: one 31-day window and one of 9 days, not 40 calls (the token's bottleneck and quota).
        assert sim.counters()["wolkvox_requests"] == 2
        # Normalizing the range parsed each window once, not once per day and again for the day after.
        windows = {rel: n for rel, n in reads.items() if "/_ranges/" in rel}
        assert len(windows) == 2 and set(windows.values()) == {1}, windows
        seen: dict[str, str] = {}
        for day in days:
            table = store.read_table("messages", day, "wolkvox")
            expected = roles(sim.config, "wolkvox", "0042", day)
            if day == days[0]:
                expected += wolkvox_spillover(sim.config, "0042", day)
            assert Counter(table.column("sender_role").to_pylist()) == expected, day
            for cid in set(table.column("conversation_id").to_pylist()):
                assert cid not in seen, f"conversation {cid} stored on {seen[cid]} and {day}"
                seen[cid] = day
        manifest = store.raw_manifest("wolkvox", "2025-09-15", "0042")
        [entry] = manifest["files"]
        assert entry["path"].startswith("raw/wolkvox/_ranges/0042/window-20250901000000-20251001235959")
        assert manifest["notes"]["range"] == "2025-09-01..2025-10-01"
        # `records` is what the answer holds for this day, `range_records` all it holds.
        assert 0 < entry["records"] < entry["range_records"]


def test_clean_and_chaos_give_identical_tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    day = "2025-10-03"
    outputs = {}
    for mode, chaos in (("clean", 0.0), ("chaos", 0.25)):
        config = SimulatorConfig(volume=(5, 8), chaos=chaos, slow_s=0.05, wolkvox_hold_s=0.0)
        with Simulator(config) as sim, dg.instance_for_test() as instance:
            defs, store = setup(sim, tmp_path / mode, monkeypatch, (day,))
            assert materialize(defs, "*", day, instance=instance).success
            if chaos:
                assert sim.counters()["chaos_faults"] > 0
            outputs[mode] = {
                vendor: store.read_bytes(store.table_path("messages", day, vendor)) for vendor in VENDORS
            }
            outputs[mode]["captures"] = store.read_bytes(store.table_path("captures", day, "multichat"))
    for name in outputs["clean"]:
        assert outputs["clean"][name] == outputs["chaos"][name], name


def _fetch_days(env: dict, data_dir: str, days: list[str]) -> None:
    from chat_assets.storage import DataStore
    from chat_assets.wolkvox.client import WolkvoxClient

    store = DataStore(data_dir)
    client = WolkvoxClient(
        env["WOLKVOX_BASE_URL"],
        env["WOLKVOX_TOKEN"],
        "America/Bogota",
        state=Path(data_dir) / "state",
        max_records=40,
        min_interval_s=0.0,
    )
    for day in days:
        with store.raw_fetch("wolkvox", day, "0042", {}) as fetch:
            client.fetch_day(fetch, day, "0042")


def test_two_wolkvox_runs_at_once_never_use_the_token_together(tmp_path: Path) -> None:
    config = SimulatorConfig(volume=(8, 12), wolkvox_hold_s=0.03, wolkvox_max_records=40)
    with Simulator(config) as sim:
        data = str(tmp_path / "data")
        procs = [
            multiprocessing.Process(target=_fetch_days, args=(sim.env(), data, days))
            for days in (["2025-10-01", "2025-10-02"], ["2025-10-03", "2025-10-04"])
        ]
        for p in procs:
            p.start()
        for p in procs:
            p.join(120)
        assert [p.exitcode for p in procs] == [0, 0]
        counters = sim.counters()
        assert counters["wolkvox_requests"] >= 8  # split windows: many calls, from two processes at once
        assert counters.get("wolkvox_overlaps", 0) == 0
    store = DataStore(data)
    manifest = store.raw_manifest("wolkvox", "2025-10-01", "0042")
    assert manifest["notes"]["superseded_windows"] >= 1  # windows near the cap were split


def test_neoagent_31_day_backfill_keeps_the_rate_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instance: dg.DagsterInstance
) -> None:
    with Simulator(SimulatorConfig(volume=(2, 4))) as sim:
        defs, store = setup(sim, tmp_path, monkeypatch, ())
        assert materialize(defs, "group:neoagent", "2025-09-01", "2025-10-01", instance=instance).success
        counters = sim.counters()
        assert counters.get("neoagent_rate_violations", 0) == 0
        # 31 local days = 32 UTC dates, one more than the vendor allows: 31 dates, then 1, per serial.
        assert counters["neoagent_requests"] == 4
        for day in ("2025-09-01", "2025-09-15", "2025-10-01"):
            assert store.read_table("messages", day, "neoagent").num_rows > 0


def test_rerun_fetches_nothing_unless_asked_and_rewrites_identically(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instance: dg.DagsterInstance
) -> None:
    defs, store = setup(sim, tmp_path, monkeypatch)
    assert materialize(defs, "group:jelou", DAYS[0], DAYS[1], instance=instance).success
    first = store.read_bytes(store.table_path("messages", DAYS[0], "jelou"))
    before = sim.counters()["jelou_requests"]
    assert materialize(defs, "group:jelou", DAYS[0], DAYS[1], instance=instance).success
    assert sim.counters()["jelou_requests"] == before
    assert store.read_bytes(store.table_path("messages", DAYS[0], "jelou")) == first
    config = {"ops": {"jelou__raw": {"config": {"refetch": True}}}}
    assert materialize(defs, "jelou/raw", DAYS[0], DAYS[1], instance=instance, run_config=config).success
    assert sim.counters()["jelou_requests"] > before


@pytest.mark.parametrize("vendor", VENDORS)
def test_refetch_replaces_a_day_and_keeps_every_message_once(
    vendor: str, sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instance: dg.DagsterInstance
) -> None:
    defs, store = setup(sim, tmp_path, monkeypatch)
    assert materialize(defs, f"group:{vendor}", DAYS[0], DAYS[1], instance=instance).success

    def stored() -> list[tuple[list, int]]:
        out = []
        for day in DAYS:
            ids = sorted(store.read_table("messages", day, vendor).column("message_id").to_pylist())
            files = sum(
                len((store.raw_manifest(vendor, day, account) or {}).get("files", []))
                for account in store.raw_accounts(vendor, day)
            )
            out.append((ids, files))
        return out

    before = stored()
    config = {"ops": {f"{vendor}__raw": {"config": {"refetch": True}}}}
    for _ in range(2):
        run = materialize(defs, f"group:{vendor}", DAYS[0], DAYS[1], instance=instance, run_config=config)
        assert run.success
        # Fetched again, stored once: the same messages and as many raw files, not one more copy.
        assert stored() == before


def test_wannabot_unknown_session_is_reported_and_never_blocks_the_day(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instance: dg.DagsterInstance
) -> None:
    day = DAYS[1]
    defs, store = setup(sim, tmp_path, monkeypatch, (day,))
    store.write_bytes(
        "inbox/wannabot/late.csv",
        b"session_id,created_at\nffffffffffffffffffffffff,2025-10-03T10:00:00-05:00\n",
    )
    result = materialize(defs, "group:wannabot", day, instance=instance)
    assert result.success  # the day completes: every other session is stored and normalized
    summary = json.loads(store.read_bytes(f"raw/wannabot/{day}/manifest.json"))
    assert [m["session_id"] for m in summary["missing"]] == ["ffffffffffffffffffffffff"]
    assert summary["missing"][0]["registry"].endswith("inbox/wannabot/late.csv")
    stored = sum(
        len((store.raw_manifest("wannabot", day, bot) or {}).get("files", []))
        for bot in store.raw_accounts("wannabot", day)
    )
    registered = (tmp_path / "data" / "inbox" / "wannabot" / f"{day}.csv").read_text().count("\n") - 1
    assert stored == registered > 0
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(["wannabot", "raw"]), asset_partitions=[day]), limit=1
    ).records
    metadata = records[0].asset_materialization.metadata
    assert (
        metadata["sessions_missing"].value == 1
        and "ffffffffffffffffffffffff" in metadata["missing_sessions"].value
    )
    # A later run asks only for the missing session again.
    before = sim.counters()["wannabot_requests"]
    assert materialize(defs, "wannabot/raw", day, instance=instance).success
    assert sim.counters()["wannabot_requests"] == before + 1


def test_multichat_today_is_not_ready_and_stores_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instance: dg.DagsterInstance
) -> None:
    with Simulator(SimulatorConfig(volume=(2, 3), today=date(2025, 10, 6))) as sim:
        defs, store = setup(sim, tmp_path, monkeypatch, ())
        result = materialize(defs, "multichat/raw", "2025-10-06", instance=instance, raise_on_error=False)
        assert not result.success
        failure = next(e for e in result.all_events if e.is_step_failure).step_failure_data.user_failure_data
        assert "not available yet" in failure.description and "2025-10-06" in failure.description
        assert not store.exists("raw/multichat") and store.list_dirs("raw/_failed") == []


def test_multichat_expired_link_gets_one_fresh_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instance: dg.DagsterInstance
) -> None:
    import time

    from chat_assets.multichat.client import MultichatClient

    real = MultichatClient._download
    slowed = {"n": 0}

    def late_download(self, url, number, day):  # type: ignore[no-untyped-def]
        slowed["n"] += 1
        if slowed["n"] == 1:
            time.sleep(0.4)  # past the link's lifetime
        return real(self, url, number, day)

    monkeypatch.setattr(MultichatClient, "_download", late_download)
    with Simulator(SimulatorConfig(volume=(2, 3), link_ttl_s=0.3)) as sim:
        defs, store = setup(sim, tmp_path, monkeypatch, ())
        assert materialize(defs, "multichat/raw", "2025-10-03", instance=instance).success
        assert sim.counters()["multichat_expired_downloads"] == 1
    # The two lines are fetched at the same time: whichever downloaded first asked for one fresh report.
    refreshed = [
        number
        for number in sim.config.accounts["multichat"]
        if "report-conversaciones-2.json"
        in [f["name"] for f in store.raw_manifest("multichat", "2025-10-03", number)["files"]]
    ]
    assert len(refreshed) == 1


def test_an_empty_day_writes_empty_tables_with_the_full_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instance: dg.DagsterInstance
) -> None:
    from chat_assets import schemas

    with Simulator(SimulatorConfig(volume=(0, 0))) as sim:
        defs, store = setup(sim, tmp_path, monkeypatch, ("2025-10-03",))
        assert materialize(defs, "*", "2025-10-03", instance=instance).success
    for vendor in VENDORS:
        table = store.read_table("messages", "2025-10-03", vendor)
        assert table is not None and table.num_rows == 0 and table.schema.names == schemas.MESSAGES.names, (
            vendor
        )
    assert store.read_table("captures", "2025-10-03", "multichat").num_rows == 0


def test_customer_text_survives_exactly(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instance: dg.DagsterInstance
) -> None:
    defs, store = setup(sim, tmp_path, monkeypatch, (DAYS[1],))
    assert materialize(defs, "group:jelou", DAYS[1], instance=instance).success
    table = store.read_table("messages", DAYS[1], "jelou")
    customer_text = pc.and_(
        pc.equal(table.column("sender_role"), "customer"), pc.equal(table.column("content_type"), "text")
    )
    got = Counter(pc.filter(table.column("text"), customer_text).to_pylist())
    want: Counter[str] = Counter()
    for account in sim.config.accounts["jelou"]:
        for day in (previous(DAYS[1]), DAYS[1]):
            for c in convs(sim.config, "jelou", account, day):
                want.update(
                    m.text
                    for m in c.messages
                    if m.role == "customer"
                    and m.content_type == "text"
                    and local_day(m.at, "America/Bogota") == DAYS[1]
                )
    assert got == want


def test_full_graph_for_a_day_reads_back_with_duckdb_and_pyarrow(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instance: dg.DagsterInstance
) -> None:
    import duckdb
    import pyarrow.dataset as ds

    from chat_assets import schemas

    day = DAYS[1]
    defs, _ = setup(sim, tmp_path, monkeypatch, (day,))
    result = materialize(defs, "*", day, instance=instance)
    assert result.success
    assert all(e.passed for e in result.get_asset_check_evaluations())
    warehouse = tmp_path / "data" / "warehouse"
    for name in (
        "messages",
        "conversations",
        "engagement_daily",
        "agent_daily",
        "sentiment_daily",
        "captures",
    ):
        dataset = ds.dataset(warehouse / name, format="parquet", partitioning="hive")
        assert set(schemas.TABLES[name].names) <= set(dataset.schema.names), name
    convs = duckdb.sql(
        f"select provider, sum(n_messages) n, count(*) c from read_parquet('{warehouse}/conversations/*/*.parquet', "
        "hive_partitioning=true) group by 1 order by 1"
    ).fetchall()
    msgs = duckdb.sql(
        f"select provider, count(*) n, count(distinct (account, conversation_id)) c from read_parquet("
        f"'{warehouse}/messages/*/*.parquet', hive_partitioning=true) group by 1 order by 1"
    ).fetchall()
    assert convs == msgs  # every message in exactly one conversation, every conversation counted once
    engagement = duckdb.sql(
        f"select provider, account, conversations, containment_rate, first_response_median_s from read_parquet("
        f"'{warehouse}/engagement_daily/*/*.parquet', hive_partitioning=true) order by 1, 2"
    ).fetchall()
    assert {r[0] for r in engagement} == set(VENDORS)
    timed = {r[0]: r[4] for r in engagement}
    assert timed["neoagent"] is None and timed["wannabot"] is None  # no message times: null, never zero
    assert timed["jelou"] is not None and timed["jelou"] > 0
    feeling = duckdb.sql(
        f"select provider_agreement_rate from read_parquet('{warehouse}/sentiment_daily/*/*.parquet', "
        "hive_partitioning=true) where provider = 'wolkvox'"
    ).fetchall()
    assert feeling[0][0] is not None and 0 <= feeling[0][0] <= 1
    # Complaints: set on every customer text message and only there; every vendor's day has a share.
    flags = duckdb.sql(
        f"select sender_role, content_type = 'text' and text <> '' as has_text, count(complaint) known, "
        f"count(*) n from read_parquet('{warehouse}/messages/*/*.parquet', hive_partitioning=true) group by all"
    ).fetchall()
    for role, has_text, known, n in flags:
        assert known == (n if role == "customer" and has_text else 0), (role, has_text, known, n)
    shares = duckdb.sql(
        f"select provider, sum(complaint_conversations), avg(complaint_share) from read_parquet("
        f"'{warehouse}/sentiment_daily/*/*.parquet', hive_partitioning=true) group by 1"
    ).fetchall()
    assert {r[0] for r in shares} == set(VENDORS) and all(r[2] is not None and 0 <= r[2] <= 1 for r in shares)
    conversations_event = (
        instance.fetch_materializations(
            dg.AssetRecordsFilter(
                asset_key=dg.AssetKey(["wolkvox", "conversations"]), asset_partitions=[day]
            ),
            limit=1,
        )
        .records[0]
        .asset_materialization
    )
    for key in (
        "messages",
        "conversations",
        "containment_rate",
        "mean_sentiment",
        "negative_share",
        "complaint_share",
        "summary",
    ):
        assert key in conversations_event.metadata, key


DERIVED = ("conversations", "engagement_daily", "agent_daily", "sentiment_daily")


@pytest.mark.parametrize("broken", ["multichat", "jelou"])
def test_one_vendor_answering_garbage_never_stops_the_others_derived_tables(
    broken: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instance: dg.DagsterInstance
) -> None:
    import duckdb

    day = DAYS[1]
    with Simulator(SimulatorConfig(volume=(5, 9), garbage={broken})) as sim:
        defs, store = setup(sim, tmp_path, monkeypatch, (day,))
        result = materialize(defs, "*", day, instance=instance, raise_on_error=False)
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    assert {e.step_key.split("__")[0] for e in failures} == {broken}  # only the broken vendor's step failed
    description = failures[0].step_failure_data.user_failure_data.description
    for account in sim.config.accounts[broken]:
        assert account in description
    assert f"[{broken}]" in description and day in description
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    healthy = [v for v in VENDORS if v != broken]
    for vendor in healthy:
        for table in ("messages", *DERIVED):
            assert f"{vendor}/{table}" in materialized, (vendor, table)
            assert store.read_table(table, day, vendor) is not None, (vendor, table)
    assert not any(key.startswith(f"{broken}/") for key in materialized)
    for table in ("messages", *DERIVED):
        assert store.read_table(table, day, broken) is None
    # Correct, not just present: every healthy vendor's messages in exactly one conversation.
    warehouse = tmp_path / "data" / "warehouse"
    convs = duckdb.sql(
        f"select provider, sum(n_messages), count(*) from read_parquet('{warehouse}/conversations/*/*.parquet',"
        " hive_partitioning=true) group by 1 order by 1"
    ).fetchall()
    msgs = duckdb.sql(
        f"select provider, count(*), count(distinct (account, conversation_id)) from read_parquet("
        f"'{warehouse}/messages/*/*.parquet', hive_partitioning=true) group by 1 order by 1"
    ).fetchall()
    assert convs == msgs and [r[0] for r in convs] == sorted(healthy)
    engagement = duckdb.sql(
        f"select provider, sum(conversations) from read_parquet('{warehouse}/engagement_daily/*/*.parquet',"
        " hive_partitioning=true) group by 1 order by 1"
    ).fetchall()
    assert engagement == [(r[0], r[2]) for r in convs]


def test_jelou_conversation_across_midnight_is_one_conversation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instance: dg.DagsterInstance
) -> None:
    days = ("2025-10-02", "2025-10-03")
    reads: Counter[str] = Counter()
    read_bytes = DataStore.read_bytes

    def counted(self: DataStore, rel: str, size: int | None = None) -> bytes:
        reads[rel] += 1
        return read_bytes(self, rel, size)

    with Simulator(SimulatorConfig(volume=(60, 80))) as sim:
        defs, store = setup(sim, tmp_path, monkeypatch, days)
        monkeypatch.setattr(DataStore, "read_bytes", counted)
        assert materialize(defs, "group:jelou", days[0], days[1], instance=instance).success
        # In a range the second day's tail is the first day's pages as already read, not a second read.
        pages = {rel: n for rel, n in reads.items() if "/page-" in rel}
        assert pages and set(pages.values()) == {1}, pages
        # Alone, the second day reads its day before's pages itself, and stores the same bytes.
        in_range = store.read_bytes(store.table_path("messages", days[1], "jelou"))
        assert materialize(defs, "jelou/messages", days[1], instance=instance).success
        assert store.read_bytes(store.table_path("messages", days[1], "jelou")) == in_range
        assert all(reads[rel] == 2 for rel in pages if f"/{days[0]}/" in rel)
    rows = pa.concat_tables([store.read_table("messages", day, "jelou") for day in days]).to_pylist()
    crossing = [
        (account, c)
        for account in sim.config.accounts["jelou"]
        for c in convs(sim.config, "jelou", account, days[0])
        if local_day(c.ended_at, "America/Bogota") == days[1]
    ]
    assert crossing, "the simulator must serve conversations that cross midnight"
    for account, c in crossing:
        start = c.started_at.replace(microsecond=c.started_at.microsecond // 1000 * 1000)  # Jelou sends ms
        mine = [
            r
            for r in rows
            if r["account"] == account
            and r["customer_id"] == c.customer_phone
            and start <= r["sent_at"] <= c.ended_at
        ]
        assert len(mine) == len(c.messages), c.id
        assert {r["conversation_id"] for r in mine} == {
            f"{c.customer_phone}-{start.strftime('%Y%m%dT%H%M%S')}{start.microsecond:06d}Z"
        }
        assert sorted(r["seq"] for r in mine) == list(range(len(c.messages)))
    meta = (
        instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(["jelou", "messages"]), asset_partitions=[days[1]]),
            limit=1,
        )
        .records[0]
        .asset_materialization.metadata
    )
    continued = [
        v.value for k, v in meta.items() if k.endswith("conversations_continued_from_the_day_before")
    ]
    assert sum(continued) == len(crossing)
