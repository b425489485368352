"""The shape every vendor's assets share, written once.

Each vendor has a raw asset `<vendor>/raw` (fetch the day's payloads, keep the bytes) and a
normalized multi-asset (`<vendor>/messages`, plus `<vendor>/captures` for Multichat) that
reads only what the raw asset stored. Both are daily-partitioned with a single-run backfill
policy: a backfill or `--partition-range` is one run per asset, and each day still gets its
own metadata (`context.add_asset_metadata(..., partition_key=day)`), so the UI plots per day.

What the vendor supplies: how to fetch one account-day (`fetch_one`), how to normalize one
account-day (`normalize_one`). What lives here: skipping complete days unless `refetch`,
collecting failures so one bad account does not hide the others, per-day metadata, writing the
warehouse, turning `VendorError`s into clear Dagster failures.
"""


import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from chat_assets import checks, partitions, schemas
from chat_assets.config import DEFAULT_DATA_DIR, DEFAULT_TIMEZONE
from chat_assets.errors import (
    NotReadyError,
    PayloadError,
    SchemaError,
    UnexpectedError,
    VendorError,
    to_failure,
)
from chat_assets.sentiment.columns import with_sentiment
from chat_assets.storage import DataStore, RawFetch

FetchOne = Callable[[RawFetch, str, str], None]
NormalizeOne = Callable[["NormalizeInput"], Mapping[str, pa.Table]]


class StoreResource(dg.ConfigurableResource):
    """The data directory (CHAT_ASSETS_DATA_DIR) and the partition time zone."""

    data_dir: str = DEFAULT_DATA_DIR
    timezone: str = DEFAULT_TIMEZONE

    def store(self, redact: Callable[[str], str] | None = None) -> DataStore:
        return DataStore(self.data_dir, redact=redact)


class RawFetchConfig(dg.Config):
    refetch: bool = Field(
        default=False,
        description="Fetch again days whose raw data is already complete (by default they are skipped).",
    )


def combined_failure(vendor: str, errors: Sequence[VendorError], total: int) -> dg.Failure:
    if len(errors) == 1:
        return to_failure(errors[0])
    lines = [f"{len(errors)} of {total} {vendor} account-days failed:"] + [f"- {e}" for e in errors]
    return dg.Failure(
        description="\n".join(lines),
        metadata={"vendor": vendor, "failed": [f"{e.account} {e.day}: {e.kind}" for e in errors]},
        allow_retries=all(e.retryable for e in errors),
    )


def fetch_account_days(
    context: dg.AssetExecutionContext,
    *,
    vendor: str,
    store: DataStore,
    days: Sequence[str],
    accounts: Sequence[str],
    refetch: bool,
    describe: Callable[[str, str], dict[str, Any]],
    fetch_one: FetchOne,
    redact: Callable[[str], str],
    tz: str,
    call_stats: Callable[[], dict[str, Any]] | None = None,
    intraday: bool = False,
) -> dg.MaterializeResult:
    """Fetch every (day, account), keeping complete days unless `refetch`; fail at the end, listing all.

    A day that is not over yet is refused ("not available yet") unless the vendor allows
    `intraday` refreshes; an intraday fetch is recorded as such and fetched again once the day closes.
    """
    started = time.monotonic()
    errors: list[VendorError] = []
    open_days = [day for day in days if not partitions.is_closed(day, tz)]
    if open_days and not intraday:
        for day in open_days:
            errors.append(NotReadyError(vendor, None, day, f"the day is not over yet in {tz}; {vendor} is fetched for "
                                        "complete days only", action="Nothing to fix: the daily schedule fetches it "
                                        "after midnight."))
        days = [day for day in days if day not in open_days]
    totals = {"files": 0, "bytes": 0, "records": 0, "fetched": 0, "skipped": 0}
    for day in days:
        day_started = time.monotonic()
        day_totals = {"files": 0, "bytes": 0, "records": 0}
        fetched, skipped = [], []
        for account in accounts:
            if not refetch and store.raw_is_complete(vendor, day, account):
                skipped.append(account)
                continue
            try:
                fetch = store.raw_fetch(vendor, day, account, describe(day, account), redact=redact)
                with fetch:
                    fetch.note(day_closed=partitions.is_closed(day, tz))
                    fetch_one(fetch, day, account)
            except VendorError as error:
                errors.append(error)
                context.log.error(str(error))
                continue
            except Exception as exc:  # the one boundary: nothing escapes as a raw traceback or unredacted text
                error = UnexpectedError(vendor, account, day, redact(f"{type(exc).__name__}: {exc}"),
                                        raw_path=store.abspath(fetch.kept_at) if fetch.kept_at else None)
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
                "files": day_totals["files"],
                "bytes": day_totals["bytes"],
                "records": day_totals["records"],
                "accounts_fetched": ", ".join(fetched) or "none",
                "accounts_skipped_complete": ", ".join(skipped) or "none",
                "elapsed_s": round(time.monotonic() - day_started, 3),
                "raw_dir": dg.MetadataValue.path(store.abspath(f"raw/{vendor}/{day}")),
            },
            partition_key=day,
        )
    if errors:
        raise combined_failure(vendor, errors, len(days) * len(accounts))
    metadata: dict[str, Any] = {
        "days": len(days),
        "account_days_fetched": totals["fetched"],
        "account_days_skipped": totals["skipped"],
        "elapsed_s": round(time.monotonic() - started, 3),
    }
    if call_stats:
        metadata["http"] = dg.MetadataValue.json(call_stats())
    return dg.MaterializeResult(metadata=metadata)


def raw_asset(
    *,
    vendor: str,
    description: str,
    kinds: set[str],
    make_client: Callable[[Any, DataStore], Any],
    pool: str | None = None,
    intraday: bool = False,
    prepare: Callable[[Any, Any, DataStore, Sequence[str], bool], None] | None = None,
) -> dg.AssetsDefinition:
    """`<vendor>/raw`: fetch every configured account for the run's days with the vendor's client.

    The vendor's resource is the resource keyed by the vendor's name; `make_client(resource, store)`
    builds its client (which has `describe`, `fetch_day`, `redact`, `http` and `close`); `prepare`
    lets a vendor plan the run (Neoagent asks for one range covering every day it needs).
    """
    from chat_assets.cadence import RAW_RETRY_POLICY

    @dg.asset(
        key=[vendor, "raw"],
        group_name=vendor,
        partitions_def=partitions.daily,
        backfill_policy=dg.BackfillPolicy.single_run(),
        retry_policy=RAW_RETRY_POLICY,
        pool=pool,
        kinds=kinds,
        description=description,
        required_resource_keys={"store", vendor},
    )
    def _raw(context: dg.AssetExecutionContext, config: RawFetchConfig) -> dg.MaterializeResult:
        settings: StoreResource = context.resources.store
        resource = getattr(context.resources, vendor)
        store = settings.store()
        client = make_client(resource, store)
        accounts = resource.accounts()
        if prepare is not None:
            prepare(client, resource, store, context.partition_keys, config.refetch)
        try:
            return fetch_account_days(
                context, vendor=vendor, store=store, days=context.partition_keys, accounts=accounts,
                refetch=config.refetch, describe=client.describe, fetch_one=client.fetch_day, redact=client.redact,
                tz=settings.timezone, call_stats=client.http.stats.as_metadata, intraday=intraday,
            )
        finally:
            client.close()

    return _raw


# -- normalization --------------------------------------------------------------------------


class NormalizeInput:
    """What a vendor normalizer gets for one account-day: the store, the manifest, the zone."""

    def __init__(self, store: DataStore, vendor: str, day: str, account: str, manifest: dict[str, Any], tz: str,
                 resource: Any = None):
        self.store, self.vendor, self.day, self.account, self.manifest, self.tz = store, vendor, day, account, manifest, tz
        #: The vendor's resource (its settings, e.g. Multichat's column override), when the asset has it.
        self.resource = resource
        #: Facts worth showing in the day's metadata (dialects found, unknown columns, ...).
        self.notes: dict[str, Any] = {}

    def files(self, prefix: str = "", suffix: str = "") -> list[tuple[str, dict[str, Any]]]:
        """(relative path, manifest entry) of the fetch's files, in fetch order."""
        out = []
        for entry in self.manifest.get("files", []):
            name = entry["name"]
            if entry.get("superseded"):  # kept as received, replaced by a later answer in the same fetch
                continue
            if name.startswith(prefix) and name.endswith(suffix):
                out.append((entry.get("path") or f"{self.store.raw_dir(self.vendor, self.day, self.account)}/{name}", entry))
        return out

    def read(self, rel: str) -> bytes:
        return self.store.read_bytes(rel)

    def read_json_documents(
        self, files: Sequence[tuple[str, dict[str, Any]]], schema: pa.Schema, what: str, wrap_key: str | None = None
    ) -> pa.Table:
        """One row per raw JSON file, parsed in one Arrow call; a bad file fails naming that file."""
        from chat_assets.canonical import read_json_many

        try:
            return read_json_many([self.read(rel) for rel, _ in files], schema, wrap_key=wrap_key)
        except ValueError as exc:
            index = exc.args[1] if len(exc.args) > 1 else 0
            raise self.payload_error(files[index][0], f"{what} is not the documented JSON: {exc.args[0]}") from None

    def payload_error(self, rel: str, problem: str) -> PayloadError:
        return PayloadError(self.vendor, self.account, self.day, problem, raw_path=self.store.abspath(rel))


def _preview(table: pa.Table, columns: Iterable[str], rows: int = 5) -> str:
    cols = [c for c in columns if c in table.column_names]
    if not table.num_rows:
        return "_no rows: the vendor reported no activity for this day_"
    head = table.select(cols).slice(0, rows).to_pylist()
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in head:
        cells = []
        for c in cols:
            text = "" if row[c] is None else str(row[c]).replace("\n", " ").replace("|", "/")
            cells.append(text[:60])
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def table_metadata(name: str, table: pa.Table) -> dict[str, Any]:
    metadata: dict[str, Any] = {"dagster/row_count": table.num_rows}
    if name == "messages":
        roles = pc.value_counts(table.column("sender_role")).to_pylist() if table.num_rows else []
        counts = {r["values"]: r["counts"] for r in roles}
        metadata.update(
            {
                "messages": table.num_rows,
                "conversations": len(pc.unique(table.column("conversation_id"))) if table.num_rows else 0,
                "customer_messages": counts.get("customer", 0),
                "bot_messages": counts.get("bot", 0),
                "agent_messages": counts.get("agent", 0),
                "preview": dg.MetadataValue.md(
                    _preview(table, ["account", "conversation_id", "seq", "sent_at", "sender_role", "content_type", "text"])
                ),
            }
        )
    elif name == "captures":
        metadata["capture_rows"] = len(pc.unique(pc.binary_join_element_wise(
            table.column("bot"), pc.cast(table.column("row"), pa.string()), ":"))) if table.num_rows else 0
        metadata["preview"] = dg.MetadataValue.md(_preview(table, ["account", "bot", "row", "field", "value"]))
    return metadata


def column_schema(name: str) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[dg.TableColumn(f.name, str(f.type), constraints=dg.TableColumnConstraints(nullable=f.nullable))
                 for f in schemas.TABLES[name]]
    )


def normalized_assets(
    *,
    vendor: str,
    tables: Sequence[str],
    partitions_def: dg.PartitionsDefinition,
    normalize_one: NormalizeOne,
    description: str,
    with_vendor_resource: bool = False,
) -> dg.AssetsDefinition:
    """`<vendor>/<table>` for each table, from what `<vendor>/raw` stored.

    `with_vendor_resource` hands the vendor's resource to the normalizer (`NormalizeInput.resource`),
    for settings that shape reading (Multichat's column override); credentials are never used here.
    """
    raw_key = dg.AssetKey([vendor, "raw"])
    specs = [
        dg.AssetSpec(
            key=dg.AssetKey([vendor, table]),
            deps=[raw_key],
            group_name=vendor,
            description=f"{description} Canonical `{table}` rows: warehouse/{table}/date=<day>/{vendor}.parquet",
            metadata={"dagster/column_schema": column_schema(table)},
            kinds={"parquet"},
        )
        for table in tables
    ]

    messages_key = dg.AssetKey([vendor, "messages"])
    check_specs = [
        dg.AssetCheckSpec("message_ids_unique", asset=messages_key, blocking=True,
                          description="message_id is unique per (provider, account)."),
        dg.AssetCheckSpec("vocabularies", asset=messages_key, blocking=True,
                          description="sender_role and content_type are in the canonical vocabularies."),
        dg.AssetCheckSpec("sent_at_within_day", asset=messages_key,
                          description="sent_at falls in the partition's day, give or take 24 hours (vendors that "
                                      "report by close date return conversations that cross midnight)."),
    ] if "messages" in tables else []

    @dg.multi_asset(
        name=f"{vendor}_normalized",
        specs=specs,
        check_specs=check_specs,
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        required_resource_keys={"store", vendor} if with_vendor_resource else {"store"},
    )
    def _normalize(context: dg.AssetExecutionContext):  # type: ignore[no-untyped-def]
        resource: StoreResource = context.resources.store
        vendor_resource = getattr(context.resources, vendor) if with_vendor_resource else None
        store = resource.store()
        started = time.monotonic()
        totals = dict.fromkeys(tables, 0)
        outcomes: dict[str, list[tuple[str, bool, dict[str, Any]]]] = {spec.name: [] for spec in check_specs}
        for day in context.partition_keys:
            day_started = time.monotonic()
            accounts = store.raw_accounts(vendor, day)
            # A vendor whose accounts are discovered (Wannabot) writes a day-level manifest even when
            # the day had nothing: that is an empty day, not a day never fetched.
            if not accounts and not store.exists(f"raw/{vendor}/{day}/manifest.json"):
                raise dg.Failure(
                    description=(
                        f"[{vendor}] day {day}: no raw data stored. What to do: materialize {vendor}/raw for "
                        f"{day} first (or together: --select '{vendor}/*')."
                    ),
                    allow_retries=False,
                )
            parts: dict[str, list[pa.Table]] = {t: [] for t in tables}
            notes: dict[str, Any] = {}
            for account in accounts:
                manifest = store.raw_manifest(vendor, day, account) or {}
                inp = NormalizeInput(store, vendor, day, account, manifest, resource.timezone, vendor_resource)
                try:
                    out = normalize_one(inp)
                except VendorError as error:
                    raise to_failure(error) from None
                except SchemaError as error:
                    raise dg.Failure(
                        description=f"[{vendor}] account {account} day {day}: normalized rows break the schema: {error}. "
                        "What to do: this is a chat_assets bug; report it with the raw folder.",
                        metadata={"raw_dir": store.abspath(store.raw_dir(vendor, day, account))},
                    ) from None
                except dg.Failure:
                    raise
                except Exception as exc:  # the one boundary for normalization: a named, unretried failure
                    raise to_failure(UnexpectedError(
                        vendor, account, day, f"{type(exc).__name__}: {exc}",
                        raw_path=store.abspath(store.raw_dir(vendor, day, account)))) from None
                for table in tables:
                    parts[table].append(out.get(table, schemas.empty(table)))
                notes.update({f"{account} {key}": value for key, value in inp.notes.items()})
            for table in tables:
                data = pa.concat_tables([schemas.conform(table, t) for t in parts[table]]) if parts[table] else schemas.empty(table)
                if table == "messages":
                    # One order whatever order pages, sessions or windows arrived in: same input, same bytes.
                    data = data.sort_by([("account", "ascending"), ("conversation_id", "ascending"), ("seq", "ascending")])
                    data = with_sentiment(schemas.validate_messages(data))
                    outcomes["message_ids_unique"].append((day, *checks.unique_message_ids(data)))
                    outcomes["vocabularies"].append((day, *checks.vocabularies(data)))
                    outcomes["sent_at_within_day"].append((day, *checks.sent_at_within_day(data, day, resource.timezone)))
                store.write_table(table, day, vendor, data)
                totals[table] += data.num_rows
                context.add_asset_metadata(
                    {**table_metadata(table, data), **notes, "elapsed_s": round(time.monotonic() - day_started, 3),
                     "path": dg.MetadataValue.path(store.abspath(store.table_path(table, day, vendor)))},
                    asset_key=dg.AssetKey([vendor, table]),
                    partition_key=day,
                )
        for table in tables:
            key = dg.AssetKey([vendor, table])
            yield dg.MaterializeResult(
                asset_key=key,
                metadata={"days": len(context.partition_keys), "rows_written": totals[table],
                          "elapsed_s": round(time.monotonic() - started, 3)},
                check_results=[check_result(spec, outcomes[spec.name]) for spec in check_specs if spec.asset_key == key],
            )

    return _normalize


def check_result(spec: dg.AssetCheckSpec, outcomes: Sequence[tuple[str, bool, dict[str, Any]]]) -> dg.AssetCheckResult:
    """One result for the days of a run: passed when every day passed; failing days are listed."""
    failing = [(day, meta) for day, passed, meta in outcomes if not passed]
    metadata: dict[str, Any] = {"days_checked": len(outcomes), "days_failing": ", ".join(d for d, _ in failing) or "none"}
    first = failing[0][1] if failing else (outcomes[-1][2] if outcomes else {})
    metadata.update(first)
    return dg.AssetCheckResult(
        asset_key=spec.asset_key, check_name=spec.name, passed=not failing, metadata=metadata,
        severity=dg.AssetCheckSeverity.ERROR if spec.blocking else dg.AssetCheckSeverity.WARN,
    )
