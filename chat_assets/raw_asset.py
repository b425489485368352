"""`<vendor>/raw`, written once: fetch every configured account for the run's days, keep the bytes.

The vendor supplies a resource that builds a `VendorClient`; everything else lives here: skipping
days already complete unless `refetch`, refusing days not over yet (unless the vendor refreshes
intraday), the one error boundary that turns anything unexpected into a named, redacted failure,
collecting failures so one bad account does not hide the others, and per-day metadata.

The asset is daily-partitioned with a single-run backfill policy: a backfill or
`--partition-range` is one run, and each day still gets its own metadata
(`context.add_asset_metadata(..., partition_key=day)`), so the UI plots per day.
"""

import time
from collections.abc import Sequence

import dagster as dg
from pydantic import Field

from chat_assets import partitions
from chat_assets.cadence import RAW_RETRY_POLICY
from chat_assets.errors import NotReadyError, UnexpectedError, VendorError, to_failure
from chat_assets.settings import StoreResource
from chat_assets.storage import DataStore
from chat_assets.vendor_client import VendorClient, VendorResource


class RawFetchConfig(dg.Config):
    refetch: bool = Field(
        default=False,
        description="Fetch again days whose raw data is already complete (by default they are skipped).",
    )


def combined_failure(vendor: str, errors: Sequence[VendorError], total: int) -> dg.Failure:
    """One Dagster failure listing every failed account-day; retried only if all of them may be."""
    if len(errors) == 1:
        return to_failure(errors[0])
    lines = [f"{len(errors)} of {total} {vendor} account-days failed:"] + [f"- {e}" for e in errors]
    return dg.Failure(
        description="\n".join(lines),
        metadata={"vendor": vendor, "failed": [f"{e.account} {e.day}: {e.kind}" for e in errors]},
        allow_retries=all(e.retryable for e in errors),
    )


def not_over_yet(vendor: str, day: str, tz: str) -> NotReadyError:
    return NotReadyError(
        vendor,
        None,
        day,
        f"the day is not over yet in {tz}; {vendor} is fetched for complete days only",
        action="Nothing to fix: the daily schedule fetches it after midnight.",
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
) -> dg.MaterializeResult:
    """Fetch every (day, account), keeping complete days unless `refetch`; fail at the end, listing all.

    A day that is not over yet is refused ("not available yet") unless the vendor allows
    `intraday` refreshes; an intraday fetch is recorded as such and fetched again once the day closes.
    """
    started = time.monotonic()
    errors: list[VendorError] = []
    if not intraday:
        errors += [not_over_yet(vendor, day, tz) for day in days if not partitions.is_closed(day, tz)]
        days = [day for day in days if partitions.is_closed(day, tz)]
    todo = {
        (day, account)
        for day in days
        for account in accounts
        if refetch or not store.raw_is_complete(vendor, day, account)
    }
    client.prepare(sorted({day for day, _ in todo}))
    totals = {"files": 0, "bytes": 0, "records": 0, "fetched": 0, "skipped": 0}
    for day in days:
        day_started = time.monotonic()
        day_totals = {"files": 0, "bytes": 0, "records": 0}
        fetched, skipped = [], []
        for account in accounts:
            if (day, account) not in todo:
                skipped.append(account)
                continue
            fetch = None
            try:
                fetch = store.raw_fetch(
                    vendor, day, account, client.describe(day, account), redact=client.redact
                )
                with fetch:
                    fetch.note(day_closed=partitions.is_closed(day, tz))
                    client.fetch_day(fetch, day, account)
            except VendorError as error:
                errors.append(error)
                context.log.error(str(error))
                continue
            except (
                Exception
            ) as exc:  # the one boundary: nothing escapes as a raw traceback or unredacted text
                kept = store.abspath(fetch.kept_at) if fetch is not None and fetch.kept_at else None
                error = UnexpectedError(
                    vendor, account, day, client.redact(f"{type(exc).__name__}: {exc}"), raw_path=kept
                )
                errors.append(error)
                context.log.error(str(error))
                continue
            manifest = fetch.manifest or {}
            fetched.append(account)
            for key in day_totals:
                day_totals[key] += int(manifest.get(key if key != "files" else "n_files", 0))
            context.log.info(
                f"{vendor} {account} {day}: {manifest.get('n_files')} file(s), {manifest.get('records')} record(s) kept"
            )
        totals["fetched"] += len(fetched)
        totals["skipped"] += len(skipped)
        for key in day_totals:
            totals[key] += day_totals[key]
        context.add_asset_metadata(
            {
                **day_totals,
                "accounts_fetched": ", ".join(fetched) or "none",
                "accounts_skipped_complete": ", ".join(skipped) or "none",
                "elapsed_s": round(time.monotonic() - day_started, 3),
                "raw_dir": dg.MetadataValue.path(store.abspath(f"raw/{vendor}/{day}")),
            },
            partition_key=day,
        )
    if errors:
        raise combined_failure(vendor, errors, len(days) * len(accounts))
    return dg.MaterializeResult(
        metadata={
            "days": len(days),
            "account_days_fetched": totals["fetched"],
            "account_days_skipped": totals["skipped"],
            "elapsed_s": round(time.monotonic() - started, 3),
            "http": dg.MetadataValue.json(client.stats()),
        }
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

    @dg.asset(
        key=[vendor, "raw"],
        group_name=vendor,
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        retry_policy=RAW_RETRY_POLICY,
        pool=pool,
        kinds=kinds,
        description=description,
        required_resource_keys={"store", vendor},
    )
    def _raw(context: dg.AssetExecutionContext, config: RawFetchConfig) -> dg.MaterializeResult:
        settings: StoreResource = context.resources.store
        resource: VendorResource = getattr(context.resources, vendor)
        client = resource.client()
        try:
            return fetch_days(
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
