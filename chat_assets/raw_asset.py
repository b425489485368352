"""`<vendor>/raw`, written once: fetch every configured account for the run's days, keep the bytes.

The vendor supplies a resource that builds a `VendorClient`; everything else lives here: skipping
days already complete unless `refetch`, skipping days not over yet with a note (unless the vendor
refreshes intraday), the one error boundary that turns anything unexpected into a named, redacted failure,
collecting failures so one bad account does not hide the others, and per-day metadata.

A run may hold a backfill's whole range (`cadence.RANGE_POLICY`): every day ends on its own,
materialized or failed by itself, with its own metadata (day_outcomes.py).
"""

import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import dagster as dg
from pydantic import Field

from chat_assets import execution, partitions
from chat_assets.cadence import RANGE_POLICY, RAW_RETRY_POLICY
from chat_assets.day_outcomes import DayOutcomes
from chat_assets.errors import UnexpectedError, VendorError
from chat_assets.settings import StoreResource
from chat_assets.storage import DataStore
from chat_assets.vendor_client import VendorClient, VendorResource


class RawFetchConfig(dg.Config):
    refetch: bool = Field(
        default=False,
        description="Fetch again days whose raw data is already complete (by default they are skipped).",
    )


def _fetch_one(
    client: VendorClient, store: DataStore, vendor: str, day: str, account: str, tz: str
) -> tuple[dict, None] | tuple[None, VendorError]:
    """One account-day into the store: its manifest, or the named error (the one error boundary)."""
    fetch = None
    try:
        fetch = store.raw_fetch(vendor, day, account, client.describe(day, account), redact=client.redact)
        with fetch:
            fetch.note(day_closed=partitions.is_closed(day, tz))
            client.fetch_day(fetch, day, account)
        return fetch.manifest or {}, None
    except VendorError as error:
        return None, error
    except Exception as exc:  # nothing escapes as a raw traceback or unredacted text
        kept = store.abspath(fetch.kept_at) if fetch is not None and fetch.kept_at else None
        return None, UnexpectedError(
            vendor, account, day, client.redact(f"{type(exc).__name__}: {exc}"), raw_path=kept
        )


def fetch_days(
    context: dg.AssetExecutionContext,
    *,
    vendor: str,
    client: VendorClient,
    store: DataStore,
    days: Sequence[str],
    accounts: Sequence[str],
    refetch: bool,
    tz: str,
    intraday: bool = False,
) -> Iterator[dg.MaterializeResult]:
    """Fetch every (day, account), keeping complete days unless `refetch`; each day ends on its own.

    A day that is not over yet is skipped with a note unless the vendor allows `intraday`
    refreshes (an intraday fetch is recorded as such and fetched again once the day closes). A
    day with a failed account fails alone; the others are materialized (see day_outcomes.py).

    Up to `client.account_days_at_once` account-days are fetched at the same time (the client's
    own HTTP cap still bounds the requests in flight); their outcomes are taken in day order, so
    days end, log and materialize in order whatever finishes first.
    """
    key = dg.AssetKey([vendor, "raw"])
    outcomes = DayOutcomes(context, vendor, [key], days)
    if not intraday:
        for day in days:
            if not partitions.is_closed(day, tz):
                outcomes.skip(day, partitions.not_over_yet(tz))
        days = [day for day in days if day not in outcomes.skipped]
    todo = [
        (day, account)
        for day in days
        for account in accounts
        if refetch or not store.raw_is_complete(vendor, day, account)
    ]
    client.prepare(sorted({day for day, _ in todo}))
    totals = {"files": 0, "bytes": 0, "records": 0, "fetched": 0, "skipped": 0}
    pool = ThreadPoolExecutor(max(1, getattr(client, "account_days_at_once", 1)), thread_name_prefix=vendor)
    try:
        pending = {pair: pool.submit(_fetch_one, client, store, vendor, *pair, tz) for pair in todo}
        for day in days:
            day_started = time.monotonic()
            day_totals = {"files": 0, "bytes": 0, "records": 0}
            fetched, skipped, failed = [], [], []
            for account in accounts:
                if (day, account) not in pending:
                    skipped.append(account)
                    continue
                manifest, error = pending.pop((day, account)).result()
                if error is not None:
                    outcomes.failed(error)
                    failed.append(account)
                    continue
                assert manifest is not None
                fetched.append(account)
                for k in day_totals:
                    day_totals[k] += int(manifest.get(k if k != "files" else "n_files", 0))
                outcomes.progress(
                    account,
                    day,
                    f"{manifest.get('n_files')} file(s), {manifest.get('records')} record(s) kept",
                )
            totals["fetched"] += len(fetched)
            totals["skipped"] += len(skipped)
            for k in day_totals:
                totals[k] += day_totals[k]
            if failed:
                continue
            outcomes.succeeded(
                day,
                {
                    key: {
                        **day_totals,
                        "accounts_fetched": ", ".join(fetched) or "none",
                        "accounts_skipped_complete": ", ".join(skipped) or "none",
                        "elapsed_s": round(time.monotonic() - day_started, 3),
                        "raw_dir": dg.MetadataValue.path(store.abspath(f"raw/{vendor}/{day}")),
                    }
                },
            )
    finally:
        # A step that stops early (cancelled, or an error here) must not go on fetching the rest.
        pool.shutdown(wait=True, cancel_futures=True)
    yield from outcomes.finish(
        [
            dg.MaterializeResult(
                asset_key=key,
                metadata={
                    "days": len(days),
                    "account_days_fetched": totals["fetched"],
                    "account_days_skipped": totals["skipped"],
                    "elapsed_s": round(time.monotonic() - outcomes.started, 3),
                    "http": dg.MetadataValue.json(client.stats()),
                },
            )
        ],
        total=len(days) * len(accounts),
    )


def raw_spec(vendor: str, description: str, kinds: set[str]) -> dg.AssetSpec:
    """`<vendor>/raw`'s spec: skippable, because a range may end with days skipped (day_outcomes.py)."""
    return dg.AssetSpec(
        key=[vendor, "raw"], group_name=vendor, kinds=kinds, description=description, skippable=True
    )


def raw_asset(
    *,
    vendor: str,
    partitions_def: dg.PartitionsDefinition,
    description: str,
    kinds: set[str],
    pool: str | None = None,
    intraday: bool = False,
) -> dg.AssetsDefinition:
    """`<vendor>/raw`: every configured account of the vendor's resource, for the run's days.

    The vendor's resource is the resource keyed by the vendor's name (a `VendorResource`).
    """

    @dg.multi_asset(
        name=f"{vendor}__raw",
        specs=[raw_spec(vendor, description, kinds)],
        partitions_def=partitions_def,
        backfill_policy=RANGE_POLICY,
        retry_policy=RAW_RETRY_POLICY,
        pool=pool,
        op_tags=execution.FETCH,
        required_resource_keys={"store", vendor},
    )
    def _raw(context: dg.AssetExecutionContext, config: RawFetchConfig) -> Iterator[dg.MaterializeResult]:
        settings: StoreResource = context.resources.store
        resource: VendorResource = getattr(context.resources, vendor)
        client = resource.client()
        try:
            yield from fetch_days(
                context,
                vendor=vendor,
                client=client,
                store=settings.store(),
                days=context.partition_keys,
                accounts=resource.accounts(),
                refetch=config.refetch,
                tz=settings.timezone,
                intraday=intraday,
            )
        finally:
            client.close()

    return _raw
