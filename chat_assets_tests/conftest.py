"""Shared fixtures: a hermetic environment, a loopback simulator, a data store, Dagster helpers."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import dagster as dg
import pytest

from chat_assets.simulator import Simulator, SimulatorConfig
from chat_assets.storage import DataStore

FIXTURES = Path(__file__).parent / "fixtures"
CONTRACT_PREFIXES = ("CHAT_ASSETS_", "MULTICHAT_", "WOLKVOX_", "JELOU_", "NEOAGENT_", "WANNABOT_")


@pytest.fixture(autouse=True)
def hermetic_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's vendor credentials or data dir."""
    for name in list(os.environ):
        if name.startswith(CONTRACT_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def store(tmp_path: Path) -> DataStore:
    return DataStore(str(tmp_path / "data"))


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(SimulatorConfig(volume=(6, 12), wolkvox_hold_s=0.01)) as simulator:
        yield simulator


def use_env(monkeypatch: pytest.MonkeyPatch, env: Mapping[str, str]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[dg.DagsterInstance]:
    """A real SQLite-backed instance with pools limited to 1, as dagster.yaml configures."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    overrides = {"concurrency": {"pools": {"default_limit": 1}}, "telemetry": {"enabled": False}}
    with dg.instance_for_test(temp_dir=str(home), overrides=overrides) as inst:
        yield inst


def materialize(
    defs: dg.Definitions,
    selection: str,
    first: str,
    last: str | None = None,
    instance: dg.DagsterInstance | None = None,
    raise_on_error: bool = True,
    run_config: Mapping[str, object] | None = None,
) -> dg.ExecuteInProcessResult:
    """Materialize `selection` (an asset selection string) for a day or a range, in one run."""
    assets = [a for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition)]
    graph = defs.resolve_asset_graph()
    keys = dg.AssetSelection.from_string(selection).resolve(graph)
    chosen = [a for a in assets if set(a.keys) & keys]
    tags = {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last or first}
    return dg.materialize(
        chosen,
        resources=defs.resources,
        tags=tags,
        instance=instance,
        raise_on_error=raise_on_error,
        run_config=run_config,
    )
