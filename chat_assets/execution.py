"""How the steps of one run share the machine: vendor fetches side by side, computing on the cores.

A backfill of every vendor is one run of some twenty steps. Dagster's multiprocess executor runs
as many steps at a time as the machine has cores, whatever they do; a raw step spends its time
waiting on its vendor (a year of Neoagent is two minutes of its rate limit), so on two cores two
fetches held both slots while the other vendors' fetches, and every normalization and derived
step, waited behind them. Each step here says which kind it is (`WORK_TAG`): the fetches (`io`)
all run at once, each bounded by its own vendor's limits (its HTTP cap, its pool), and the steps
that compute (`cpu`: normalization, derived tables) share the cores.

Each step is a process of its own. Spawned, every one of them imported Python, Arrow, DuckDB
and Dagster and loaded the definitions again, a second or two of CPU each on a machine
whose two cores the computing steps were waiting for; forked from a server that loaded the code
location once (`forkserver`, which preloads the module the run's job came from), a step starts
in a fraction of that. A 30-day backfill of every vendor: 62-69 s -> 48-49 s of wall time
(`python -m benchmarks.backfill --days 30`, alternated in one session).
"""

from __future__ import annotations

import os
from typing import Any

import dagster as dg

#: The op tag every step carries: `io` (waits on a vendor) or `cpu` (computes).
WORK_TAG = "chat_assets/work"
FETCH = {WORK_TAG: "io"}
COMPUTE = {WORK_TAG: "cpu"}
#: Fetch steps a run may hold at once beside its computing steps: one per vendor, and room to spare.
FETCH_SLOTS = 8
EXECUTOR_NAME = "chat_assets_executor"


def executor_config(cores: int | None = None) -> dict[str, Any]:
    """The multiprocess executor's config: computing steps limited to the cores, fetches beside them."""
    cores = max(1, cores or os.cpu_count() or 1)
    return {
        "max_concurrent": cores + FETCH_SLOTS,
        "tag_concurrency_limits": [
            {"key": WORK_TAG, "value": "cpu", "limit": cores},
            {"key": WORK_TAG, "value": "io", "limit": FETCH_SLOTS},
        ],
        # Steps forked from a server that loaded the code location once (module docstring).
        "start_method": {"forkserver": {}},
    }


def run_executor(cores: int | None = None) -> dg.ExecutorDefinition:
    return dg.multiprocess_executor.configured(executor_config(cores), name=EXECUTOR_NAME)
