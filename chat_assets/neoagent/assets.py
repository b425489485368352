"""Neoagent assets: `neoagent/raw` (range answers, referenced by each local day) and messages.

Runs share the Dagster pool `neoagent` and, underneath, a rate limiter whose state lives in the
data dir, so the 10-requests-a-minute limit holds across runs and processes.
"""

from chat_assets import partitions
from chat_assets.neoagent.client import VENDOR
from chat_assets.neoagent.normalize import normalize_one
from chat_assets.vendor_assets import normalized_assets, raw_asset

POOL = "neoagent"


def plan(client, resource, store, days, refetch) -> None:  # type: ignore[no-untyped-def]
    """Ask once for the UTC range covering the days this run must fetch (not every day of it)."""
    client.plan([d for d in days if refetch or not all(store.raw_is_complete(VENDOR, d, s) for s in resource.accounts())])


neoagent_raw = raw_asset(
    vendor=VENDOR,
    kinds={"api", "json"},
    pool=POOL,
    make_client=lambda resource, store: resource.client(store),
    prepare=plan,
    description=(
        "Neoagent chat history per chatbot serial number. A run asks once for the UTC range covering its local "
        "days (halving it on 413); answers are kept once under raw/neoagent/_ranges/<serial>/ and each day's "
        "manifest under raw/neoagent/<day>/<serial>/ references them."
    ),
)


neoagent_normalized = normalized_assets(
    vendor=VENDOR,
    tables=("messages",),
    partitions_def=partitions.daily,
    normalize_one=normalize_one,
    description="Neoagent sessions created in the local day, normalized.",
)

ASSETS = [neoagent_raw, neoagent_normalized]
