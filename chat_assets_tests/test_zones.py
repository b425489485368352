"""Days in the project's zone, whatever the clocks do and wherever a vendor's server is.

Days that are 23 or 25 hours long: the project's zone is a setting (`CHAT_ASSETS_TIMEZONE`), and
Chile's America/Santiago moves its clocks at local midnight: 2025-04-05 lasts 25 hours (00:00 of
the 6th happens as 23:00 of the 5th again) and 2025-09-07 lasts 23 (00:00 jumps to 01:00). A day's
bounds, the vendors' local times and Jelou's and Wolkvox's reads of the day before must all hold
there: each message stored once, on its own local day.

A Wolkvox server in another zone (`WOLKVOX_TIMEZONE`): its `date` values are its own wall times,
and a day is still the project's.
"""

from __future__ import annotations

import zoneinfo
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import dagster as dg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chat_assets.definitions import build_definitions
from chat_assets.jelou.client import JelouClient, day_range
from chat_assets.neoagent.client import utc_dates
from chat_assets.partitions import day_bounds, local_day
from chat_assets.simulator import Simulator, SimulatorConfig
from chat_assets.storage import DataStore
from chat_assets.wolkvox.client import server_bounds
from chat_assets_tests.conftest import materialize, use_env
from chat_assets_tests.ground_truth import convs, roles, wolkvox_spillover
from chat_assets_tests.test_integration import VENDORS, setup, warehouse_roles

ZONE = "America/Santiago"
RANGES = {"fall back": ("2025-04-04", "2025-04-06"), "spring forward": ("2025-09-06", "2025-09-08")}


@pytest.fixture(scope="module")
def chile() -> Simulator:
    with Simulator(SimulatorConfig(volume=(20, 30), wolkvox_hold_s=0.01, timezone=ZONE)) as simulator:
        yield simulator


@pytest.mark.parametrize("change", RANGES)
def test_every_message_once_on_its_local_day_across_a_clock_change(
    change: str,
    chile: Simulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    instance: dg.DagsterInstance,
) -> None:
    first, last = RANGES[change]
    days = [f"{first[:8]}{int(first[8:]) + i:02d}" for i in range(int(last[8:]) - int(first[8:]) + 1)]
    defs, store = setup(chile, tmp_path, monkeypatch, days=days)
    assert materialize(defs, "*", first, last, instance=instance).success
    for vendor in VENDORS:
        for day in days:
            table = store.read_table("messages", day, vendor)
            ids = table.select(["account", "message_id"]).to_pylist()
            assert len(ids) == len({(r["account"], r["message_id"]) for r in ids}), (vendor, day)
            got = warehouse_roles(store, vendor, day)
            for account in chile.config.accounts[vendor]:
                expected = roles(chile.config, vendor, account, day)
                if vendor == "wolkvox" and day == first:  # the day before was not fetched
                    expected += wolkvox_spillover(chile.config, account, day)
                assert got.get(account, Counter()) == expected, (change, vendor, account, day)


def test_jelou_asks_every_instant_of_each_day_of_a_year_with_two_clock_changes() -> None:
    client = JelouClient("https://jelou.test", "user", "secret", ZONE)
    lengths = Counter()
    day, previous_end = date(2025, 1, 1), None
    while day.year == 2025:
        start, last = (datetime.fromisoformat(t) for t in client.bounds(day.isoformat()))
        # Each query starts 1 ms after the day before ended, and ends 1 ms before the next day.
        assert previous_end is None or start - previous_end == timedelta(milliseconds=1), day
        # Instants compared as timestamps: an aware time in a gap never equals one in another zone.
        next_start = day_bounds((day + timedelta(days=1)).isoformat(), ZONE)[0]
        assert (last + timedelta(milliseconds=1)).timestamp() == next_start.timestamp(), day
        lengths[round((last - start).total_seconds() / 3600)] += 1
        previous_end, day = last, day + timedelta(days=1)
    assert lengths == Counter({24: 363, 25: 1, 23: 1})


def test_neoagent_asks_the_utc_dates_of_a_25_hour_day() -> None:
    # 2025-04-05 in Santiago runs from 03:00 UTC on the 5th to 04:00 UTC on the 6th.
    assert utc_dates("2025-04-05", ZONE) == (date(2025, 4, 5), date(2025, 4, 6))
    assert utc_dates("2025-09-07", ZONE) == (date(2025, 9, 7), date(2025, 9, 8))


#: The Americas' zones, most of which changed their clocks at some time in these years.
AMERICAS = sorted(z for z in zoneinfo.available_timezones() if z.startswith("America/"))


def _day_length_h(zone: str, day: date) -> float:
    start, end = day_bounds(day.isoformat(), zone)
    return (end.timestamp() - start.timestamp()) / 3600


def _clock_change_days(first_year: int = 2015, last_year: int = 2026) -> list[tuple[str, date]]:
    """(zone, day) of every day that is not 24 hours long: where a wall-time slip shows.

    Only months that begin and end (at the next month's first midnight) with different offsets are
    walked day by day.
    """
    out = []
    for zone in AMERICAS:
        tz = zoneinfo.ZoneInfo(zone)
        for year in range(first_year, last_year + 1):
            for month in range(1, 13):
                first, after = date(year, month, 1), date(year + month // 12, month % 12 + 1, 1)
                days = (after - first).days
                if (
                    datetime.combine(first, time(0), tz).utcoffset()
                    != datetime.combine(after, time(0), tz).utcoffset()
                ):
                    out += [
                        (zone, first + timedelta(days=d))
                        for d in range(days)
                        if _day_length_h(zone, first + timedelta(days=d)) != 24
                    ]
    return out


CLOCK_CHANGES = _clock_change_days()


@settings(max_examples=300, deadline=None)
@given(
    project_day=st.one_of(
        st.sampled_from(CLOCK_CHANGES),  # the days where a slip shows
        st.tuples(
            st.sampled_from(AMERICAS), st.dates(min_value=date(2015, 1, 1), max_value=date(2026, 12, 31))
        ),
    ),
    server=st.sampled_from(AMERICAS),
)
def test_every_vendor_asks_exactly_the_projects_day_in_any_american_zone(
    project_day: tuple[str, date],
    server: str,
) -> None:
    project, day = project_day
    start, end = (b.timestamp() for b in day_bounds(day.isoformat(), project))
    # Jelou: the day's first and last millisecond, with the offset each of them has.
    first, last = day_range(day.isoformat(), project)
    assert datetime.fromisoformat(first).timestamp() == start
    assert round(datetime.fromisoformat(last).timestamp() + 0.001, 3) == round(end, 3)
    # Wolkvox: the same instants, written in the server's wall time.
    ini, stop = server_bounds(day.isoformat(), day.isoformat(), server, project)
    assert (ini.timestamp(), stop.timestamp()) == (start, end)
    assert ini.tzinfo == stop.tzinfo == zoneinfo.ZoneInfo(server)
    # Neoagent: the UTC dates of the day's first and last instant.
    assert utc_dates(day.isoformat(), project) == (
        datetime.fromtimestamp(start, UTC).date(),
        datetime.fromtimestamp(end - 1e-6, UTC).date(),
    )


@pytest.fixture(scope="module")
def bogota_server() -> Simulator:
    with Simulator(
        SimulatorConfig(volume=(20, 30), wolkvox_hold_s=0.01, timezone="America/Bogota")
    ) as simulator:
        yield simulator


@pytest.mark.parametrize("runs", ["one range", "day by day"])
def test_wolkvox_server_in_another_zone_gives_the_projects_days(
    runs: str,
    bogota_server: Simulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    instance: dg.DagsterInstance,
) -> None:
    """A business in Madrid on a Bogota server: Bogota's wall times are seven hours behind its own."""
    project = "Europe/Madrid"
    days = ["2025-10-01", "2025-10-02", "2025-10-03", "2025-10-04"]
    env = {
        **bogota_server.env(),
        "CHAT_ASSETS_DATA_DIR": str(tmp_path / "data"),
        "CHAT_ASSETS_TIMEZONE": project,
        "WOLKVOX_TIMEZONE": "America/Bogota",
    }
    use_env(monkeypatch, env)
    defs, store = build_definitions(env), DataStore(env["CHAT_ASSETS_DATA_DIR"])
    if runs == "one range":
        assert materialize(defs, "group:wolkvox", days[0], days[-1], instance=instance).success
    else:
        for day in days:
            assert materialize(defs, "group:wolkvox", day, instance=instance).success
    # Each conversation belongs to the project's day of its first message (the day before was fetched).
    expected: dict[str, Counter] = {}
    account = bogota_server.config.accounts["wolkvox"][0]
    for sim_day in ("2025-09-30", *days, "2025-10-05"):
        for conv in convs(bogota_server.config, "wolkvox", account, sim_day):
            first = min(m.at for m in conv.messages)
            expected.setdefault(local_day(first, project), Counter()).update(m.role for m in conv.messages)
    every_id: list[str] = []
    for day in days[1:]:
        table = store.read_table("messages", day, "wolkvox")
        every_id += table.column("message_id").to_pylist()
        assert warehouse_roles(store, "wolkvox", day).get(account, Counter()) == expected[day], (runs, day)
        sent = [local_day(t, project) for t in table.column("sent_at").to_pylist()]
        assert sent.count(day) > 0.9 * len(sent), (runs, day)  # the day's own hours, not Bogota's
    assert len(every_id) == len(set(every_id))
