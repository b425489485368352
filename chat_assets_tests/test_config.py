"""The configuration contract: clear errors, and unconfigured vendors that stay out of the way."""

from __future__ import annotations

import os
import re

import dagster as dg
import pytest

from chat_assets import execution
from chat_assets.config import ConfigError
from chat_assets.definitions import build_definitions, configured_vendors
from chat_assets.settings import settings_from_env
from chat_assets.simulator import Simulator


def test_unknown_timezone_is_a_clear_error() -> None:
    with pytest.raises(
        ConfigError, match=re.escape("CHAT_ASSETS_TIMEZONE='Mars/Olympus' is not a known IANA time zone")
    ):
        settings_from_env({"CHAT_ASSETS_TIMEZONE": "Mars/Olympus"})


def test_defaults() -> None:
    settings = settings_from_env({})
    assert settings.data_dir == "./data"
    assert settings.timezone == "America/Bogota"


def test_empty_account_list_is_a_clear_error() -> None:
    env = {"MULTICHAT_LOGIN": "u", "MULTICHAT_TOKEN": "t", "MULTICHAT_NUMBERS": " , ,"}
    assert configured_vendors(env) == ["multichat"]
    with pytest.raises(ConfigError, match=re.escape("MULTICHAT_NUMBERS is set but lists no account")):
        build_definitions(env)


def test_bad_base_url_is_a_clear_error() -> None:
    env = {"WANNABOT_API_KEY": "k", "WANNABOT_BASE_URL": "api.wannabot.io"}
    with pytest.raises(ConfigError, match=re.escape("WANNABOT_BASE_URL='api.wannabot.io' is not an http")):
        build_definitions(env)


def test_no_vendor_configured_still_loads() -> None:
    defs = build_definitions({})
    assert configured_vendors({}) == []
    assert list(defs.resources) == ["store"]


def test_one_vendor_without_credentials_does_not_break_the_others() -> None:
    env = {"WOLKVOX_SERVER": "0042", "WOLKVOX_TOKEN": "tok", "JELOU_USERNAME": "only-the-user"}
    defs = build_definitions(env)
    keys = {key.to_user_string() for a in defs.assets for key in a.keys}
    assert keys == {
        "wolkvox/raw",
        "wolkvox/messages",
        "wolkvox/conversations",
        "wolkvox/engagement_daily",
        "wolkvox/agent_daily",
        "wolkvox/sentiment_daily",
    }


def test_all_vendors_with_the_simulator_env(sim: Simulator) -> None:
    defs = build_definitions(sim.env())
    keys = {key.to_user_string() for a in defs.assets for key in a.keys}
    for vendor in ("multichat", "wolkvox", "jelou", "neoagent", "wannabot"):
        assert {f"{vendor}/raw", f"{vendor}/messages"} <= keys
    assert "multichat/captures" in keys
    dg.Definitions.validate_loadable(defs)


def test_fetches_run_side_by_side_and_computing_steps_share_the_cores(sim: Simulator) -> None:
    """Every step says whether it waits on a vendor or computes; the run's executor limits only the latter."""
    defs = build_definitions(sim.env())
    work = {
        key.to_user_string(): node.node_def.tags.get(execution.WORK_TAG)
        for node in defs.assets
        if isinstance(node, dg.AssetsDefinition)
        for key in node.keys
    }
    vendors = ("multichat", "wolkvox", "jelou", "neoagent", "wannabot")
    assert {work[f"{v}/raw"] for v in vendors} == {"io"}
    assert {tag for key, tag in work.items() if not key.endswith("/raw")} == {"cpu"}
    assert defs.resolve_job_def("multichat_job").executor_def.name == execution.EXECUTOR_NAME
    config = execution.executor_config()
    limits = {limit["value"]: limit["limit"] for limit in config["tag_concurrency_limits"]}
    assert limits["cpu"] == os.cpu_count() and limits["io"] >= len(vendors)
    assert config["max_concurrent"] >= limits["cpu"] + limits["io"]
    # Steps fork from a server holding the loaded code location instead of each importing it again.
    assert config["start_method"] == {"forkserver": {}}


def test_secrets_are_env_var_references_not_values(sim: Simulator) -> None:
    from chat_assets import vendors

    env = sim.env()
    defs = build_definitions(env)
    secrets = [name for vendor in vendors.VENDORS for name in vendor.env.secrets]
    assert set(secrets) == {
        "MULTICHAT_TOKEN",
        "WOLKVOX_TOKEN",
        "JELOU_PASSWORD",
        "NEOAGENT_API_KEY",
        "WANNABOT_API_KEY",
    }
    for vendor in vendors.VENDORS:
        shown = repr(defs.resources[vendor.name])
        for secret in secrets:
            assert env[secret] not in shown


def test_state_url_is_validated_and_never_shown(sim: Simulator) -> None:
    with pytest.raises(ConfigError, match="CHAT_ASSETS_STATE_URL must be a postgresql://"):
        settings_from_env({"CHAT_ASSETS_STATE_URL": "mysql://u:p@h/db"})
    env = {**sim.env(), "CHAT_ASSETS_STATE_URL": "postgresql://u:state-pass-91@db:5432/x"}
    defs = build_definitions(env)
    for resource in defs.resources.values():
        assert "state-pass-91" not in repr(resource)
