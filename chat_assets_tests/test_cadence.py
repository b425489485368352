"""Schedules and sensors evaluated with Dagster's testing APIs: partitions, run keys, cursors, back-off."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from chat_assets.definitions import build_definitions
from chat_assets.ratelimit import state_dir
from chat_assets.simulator import Simulator, SimulatorConfig
from chat_assets.wolkvox.client import uses_counter
from chat_assets_tests.conftest import materialize, use_env

BOGOTA = ZoneInfo("America/Bogota")


def defs_env(tmp_path: Path, sim: Simulator) -> dict[str, str]:
    return {**sim.env(), "CHAT_ASSETS_DATA_DIR": str(tmp_path / "data")}


@pytest.fixture
def defs(sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dg.Definitions:
    env = defs_env(tmp_path, sim)
    use_env(monkeypatch, env)
    return build_definitions(env)


def tick(defs: dg.Definitions, name: str, when: datetime, instance: dg.DagsterInstance):  # type: ignore[no-untyped-def]
    schedule = defs.resolve_schedule_def(name)
    with dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=when,
        repository_def=defs.get_repository_def(),
        resources=defs.resources,
    ) as context:
        return schedule.evaluate_tick(context)


def test_everything_ships_stopped_but_the_automation_sensor(defs: dg.Definitions) -> None:
    assert {s.name: s.default_status for s in defs.schedules} == {
        name: dg.DefaultScheduleStatus.STOPPED
        for name in ("multichat_daily", "wolkvox_intraday", "wolkvox_daily", "jelou_daily", "neoagent_daily")
    }
    statuses = {s.name: s.default_status for s in defs.sensors}
    assert statuses == {
        "wannabot_registry": dg.DefaultSensorStatus.STOPPED,
        "analytics_automation": dg.DefaultSensorStatus.RUNNING,
    }


@pytest.mark.parametrize(
    ("name", "hour", "minute"),
    [("jelou_daily", 2, 0), ("neoagent_daily", 3, 0), ("multichat_daily", 6, 0), ("wolkvox_daily", 0, 30)],
)
def test_daily_schedules_ask_for_yesterday(
    defs: dg.Definitions, instance: dg.DagsterInstance, name: str, hour: int, minute: int
) -> None:
    result = tick(defs, name, datetime(2025, 10, 4, hour, minute, tzinfo=BOGOTA), instance)
    [request] = result.run_requests
    assert request.partition_key == "2025-10-03"
    assert defs.resolve_schedule_def(name).execution_timezone == "America/Bogota"


def test_multichat_retries_on_later_ticks_until_yesterday_is_stored(
    defs: dg.Definitions, instance: dg.DagsterInstance
) -> None:
    assert defs.resolve_schedule_def("multichat_daily").cron_schedule == "0 6-12/2 * * *"
    assert tick(defs, "multichat_daily", datetime(2025, 10, 4, 8, tzinfo=BOGOTA), instance).run_requests
    instance.report_runless_asset_event(
        dg.AssetMaterialization(dg.AssetKey(["multichat", "messages"]), partition="2025-10-03")
    )
    later = tick(defs, "multichat_daily", datetime(2025, 10, 4, 10, tzinfo=BOGOTA), instance)
    assert not later.run_requests and "already in the warehouse" in later.skip_message


def test_wolkvox_finalizes_yesterday_even_if_refreshed_intraday(
    defs: dg.Definitions, instance: dg.DagsterInstance
) -> None:
    instance.report_runless_asset_event(
        dg.AssetMaterialization(dg.AssetKey(["wolkvox", "messages"]), partition="2025-10-03")
    )
    [request] = tick(
        defs, "wolkvox_daily", datetime(2025, 10, 4, 0, 30, tzinfo=BOGOTA), instance
    ).run_requests
    assert request.partition_key == "2025-10-03"


def test_wolkvox_intraday_refreshes_today_and_backs_off_with_the_quota(
    defs: dg.Definitions, instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    at = datetime(2025, 10, 3, 10, 5, tzinfo=BOGOTA)
    [request] = tick(defs, "wolkvox_intraday", at, instance).run_requests
    assert request.partition_key == "2025-10-03" and request.tags["chat_assets/cadence"] == "intraday"
    counter = uses_counter(state_dir(str(tmp_path / "data")), "0042")
    counter.add("2025-10-03", 450)  # past half of the 800-use intraday budget
    slowed = tick(defs, "wolkvox_intraday", at, instance)
    assert not slowed.run_requests and "every 15 minutes" in slowed.skip_message
    assert tick(defs, "wolkvox_intraday", at.replace(minute=15), instance).run_requests
    counter.add("2025-10-03", 350)  # the budget is spent
    paused = tick(defs, "wolkvox_intraday", at.replace(minute=30), instance)
    assert not paused.run_requests and "paused until tomorrow" in paused.skip_message


def test_wolkvox_intraday_budget_is_configurable(
    sim: Simulator, instance: dg.DagsterInstance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uses_counter(state_dir(str(tmp_path / "data")), "0042").add("2025-10-03", 100)
    env = {**defs_env(tmp_path, sim), "WOLKVOX_DAILY_QUOTA": "120", "WOLKVOX_INTRADAY_SHARE": "0.5"}
    use_env(monkeypatch, env)
    defs = build_definitions(env)  # the budget is configuration, read once when the code location loads
    result = tick(defs, "wolkvox_intraday", datetime(2025, 10, 3, 11, 0, tzinfo=BOGOTA), instance)
    assert not result.run_requests and "100 of 120 uses" in result.skip_message


def test_wolkvox_pause_between_token_uses_is_off_unless_configured(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chat_assets.errors import ConfigError

    env = defs_env(tmp_path, sim)
    use_env(monkeypatch, env)
    # The document asks for one call at a time (the token lock), not for a pause between calls.
    assert build_definitions(env).resources["wolkvox"].min_interval_s == 0.0
    paced = {**env, "WOLKVOX_MIN_INTERVAL_S": "1.5"}
    use_env(monkeypatch, paced)
    assert build_definitions(paced).resources["wolkvox"].min_interval_s == 1.5
    with pytest.raises(ConfigError, match="WOLKVOX_MIN_INTERVAL_S"):
        build_definitions({**env, "WOLKVOX_MIN_INTERVAL_S": "soon"})


def registry(tmp_path: Path, name: str, rows: list[tuple[str, str]]) -> None:
    inbox = tmp_path / "data" / "inbox" / "wannabot"
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / name).write_text("session_id,created_at\n" + "".join(f"{a},{b}\n" for a, b in rows))


def evaluate(defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None):  # type: ignore[no-untyped-def]
    sensor = defs.resolve_sensor_def("wannabot_registry")
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, definitions=defs, resources=defs.resources
    ) as context:
        return sensor.evaluate_tick(context)


def test_wannabot_sensor_cursor_advances_and_survives_a_restart(
    defs: dg.Definitions, instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    registry(
        tmp_path,
        "a.csv",
        [
            ("s1", "2025-10-02T10:00:00-05:00"),
            ("s2", "2025-10-03T23:30:00-05:00"),
            ("s3", "2025-10-04T03:00:00+00:00"),
        ],
    )  # 22:00 on the 3rd in Bogotá
    first = evaluate(defs, instance, None)
    assert sorted(r.partition_key for r in first.run_requests) == ["2025-10-02", "2025-10-03"]
    keys = {r.partition_key: r.run_key for r in first.run_requests}
    # A restart: a new evaluation that only has the stored cursor sees nothing new.
    again = evaluate(defs, instance, first.cursor)
    assert not again.run_requests and "no new or changed registry file" in again.skip_message
    # A changed file touches only its days; the untouched day keeps its run key.
    registry(
        tmp_path,
        "a.csv",
        [
            ("s1", "2025-10-02T10:00:00-05:00"),
            ("s2", "2025-10-03T23:30:00-05:00"),
            ("s3", "2025-10-04T03:00:00+00:00"),
            ("s4", "2025-10-03T08:00:00-05:00"),
        ],
    )
    changed = evaluate(defs, instance, again.cursor)
    assert [r.partition_key for r in changed.run_requests] == ["2025-10-02", "2025-10-03"]
    assert {r.partition_key: r.run_key for r in changed.run_requests}["2025-10-02"] == keys["2025-10-02"]
    assert {r.partition_key: r.run_key for r in changed.run_requests}["2025-10-03"] != keys["2025-10-03"]


def test_wannabot_sensor_waits_for_a_running_day(
    defs: dg.Definitions, instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    now = datetime.now(BOGOTA)
    registry(tmp_path, "today.csv", [("s9", now.isoformat(timespec="seconds"))])
    result = evaluate(defs, instance, None)
    assert not result.run_requests and f"wait for midnight: {now.date().isoformat()}" in result.skip_message
    assert now.date().isoformat() in result.cursor
    again = evaluate(defs, instance, result.cursor)  # still pending on the next tick, still no run
    assert not again.run_requests and now.date().isoformat() in again.skip_message


def test_raw_fetches_have_a_retry_policy_but_permanent_failures_are_not_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instance: dg.DagsterInstance
) -> None:
    with Simulator(SimulatorConfig(volume=(1, 1))) as sim:
        env = {**sim.env(), "CHAT_ASSETS_DATA_DIR": str(tmp_path / "data"), "JELOU_PASSWORD": "wrong"}
        use_env(monkeypatch, env)
        defs = build_definitions(env)
        raw = next(a for a in defs.assets if dg.AssetKey(["jelou", "raw"]) in a.keys)
        assert raw.op.retry_policy is not None and raw.op.retry_policy.max_retries == 2
        result = materialize(defs, "jelou/raw", "2025-10-03", instance=instance, raise_on_error=False)
        assert not result.success
        events = [e.event_type_value for e in result.all_events]
        assert "STEP_UP_FOR_RETRY" not in events
        failure = next(e for e in result.all_events if e.is_step_failure).step_failure_data.user_failure_data
        assert "bad credentials" in failure.description and "JELOU_PASSWORD" in failure.description
        assert "wrong" not in failure.description


def test_today_is_skipped_with_a_note_for_complete_day_vendors_but_fetched_for_wolkvox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instance: dg.DagsterInstance
) -> None:
    today = datetime.now(BOGOTA).date().isoformat()
    with Simulator(SimulatorConfig(volume=(2, 3))) as sim:
        env = {**sim.env(), "CHAT_ASSETS_DATA_DIR": str(tmp_path / "data")}
        use_env(monkeypatch, env)
        defs = build_definitions(env)
        # Not an error (a backfill range may end today), but nothing is fetched or marked done.
        skipped = materialize(defs, "jelou/raw", today, instance=instance)
        assert skipped.success and not skipped.get_asset_materialization_events()
        assert sim.counters().get("jelou_requests", 0) == 0
        notes = [r.user_message for r in instance.all_logs(skipped.run_id)]
        assert any("skipped" in n and "not over yet" in n for n in notes), notes
        assert materialize(defs, "group:wolkvox", today, instance=instance).success
    from chat_assets.storage import DataStore

    manifest = DataStore(str(tmp_path / "data")).raw_manifest("wolkvox", today, "0042")
    assert manifest["notes"]["day_closed"] is False  # fetched again once the day is over


def test_every_vendor_declares_how_fresh_its_messages_should_be(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    policies = {
        vendor: graph.get(dg.AssetKey([vendor, "messages"])).freshness_policy
        for vendor in ("multichat", "wolkvox", "jelou", "neoagent", "wannabot")
    }
    assert all(policies.values()), policies
    assert (
        policies["multichat"].deadline_cron == "0 13 * * *"
        and policies["multichat"].timezone == "America/Bogota"
    )
    assert policies["wolkvox"].fail_window.to_timedelta().total_seconds() == 15 * 60
    # Only `messages` carries it: captures and derived tables follow their inputs.
    assert graph.get(dg.AssetKey(["multichat", "captures"])).freshness_policy is None
