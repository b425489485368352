"""`<vendor>/messages` (and `<vendor>/captures`), written once: normalize what `<vendor>/raw` stored.

The vendor supplies `normalize_one`, which turns one account-day of kept bytes into canonical
Arrow tables (`NormalizeInput` is what it receives); everything else lives here: reading only
the raw store, the one error boundary for normalization, the canonical row order (same input,
same bytes), the schema, the sentiment columns, the blocking checks, atomic warehouse writes and
per-day metadata.
"""

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import dagster as dg
import pyarrow as pa

from chat_assets import checks, execution, memory, partitions, schemas
from chat_assets.asset_metadata import column_schema, table_metadata
from chat_assets.cadence import FOLLOW_INPUTS, RANGE_POLICY
from chat_assets.day_outcomes import DayOutcomes
from chat_assets.errors import (
    BlockingCheckError,
    NoRawDataError,
    PayloadError,
    SchemaError,
    UnexpectedError,
    VendorError,
)
from chat_assets.sentiment.columns import with_sentiment
from chat_assets.settings import StoreResource
from chat_assets.storage import DataStore

NormalizeOne = Callable[["NormalizeInput"], Mapping[str, pa.Table]]


class NormalizeInput:
    """What a vendor normalizer gets for one account-day: the store, the manifest, the zone."""

    def __init__(
        self,
        store: DataStore,
        vendor: str,
        day: str,
        account: str,
        manifest: dict[str, Any],
        tz: str,
        resource: Any = None,
    ):
        self.store, self.vendor, self.day, self.account, self.manifest, self.tz = (
            store,
            vendor,
            day,
            account,
            manifest,
            tz,
        )
        #: The vendor's resource (its settings, e.g. Multichat's column override), when the asset has it.
        self.resource = resource
        #: Facts worth showing in the day's metadata (dialects found, unknown columns, ...).
        self.notes: dict[str, Any] = {}

    def files(self, prefix: str = "", suffix: str = "") -> list[tuple[str, dict[str, Any]]]:
        """(relative path, manifest entry) of the fetch's files, in fetch order."""
        raw_dir = self.store.raw_dir(self.vendor, self.day, self.account)
        out = []
        for entry in self.manifest.get("files", []):
            name = entry["name"]
            if entry.get("superseded"):  # kept as received, replaced by a later answer in the same fetch
                continue
            if name.startswith(prefix) and name.endswith(suffix):
                out.append((self.store.raw_file(raw_dir, self.manifest, entry), entry))
        return out

    def read(self, rel: str, size: int | None = None) -> bytes:
        return self.store.read_bytes(rel, size)

    def read_json_documents(
        self,
        files: Sequence[tuple[str, dict[str, Any]]],
        schema: pa.Schema,
        what: str,
        wrap_key: str | None = None,
    ) -> pa.Table:
        """One row per raw JSON file, parsed in one Arrow call; a bad file fails naming that file."""
        from chat_assets.canonical import read_json_many

        try:
            return read_json_many(
                lambda index: self.read(files[index][0], files[index][1].get("bytes")),
                len(files),
                schema,
                wrap_key,
            )
        except ValueError as exc:
            index = exc.args[1] if len(exc.args) > 1 else 0
            raise self.payload_error(
                files[index][0], f"{what} is not the documented JSON: {exc.args[0]}"
            ) from None

    def payload_error(self, rel: str, problem: str) -> PayloadError:
        return PayloadError(self.vendor, self.account, self.day, problem, raw_path=self.store.abspath(rel))


def normalized_assets(
    *,
    vendor: str,
    tables: Sequence[str],
    partitions_def: dg.PartitionsDefinition,
    normalize_one: NormalizeOne,
    description: str,
    with_vendor_resource: bool = False,
    freshness_policy: dg.FreshnessPolicy | None = None,
) -> dg.AssetsDefinition:
    """`<vendor>/<table>` for each table, from what `<vendor>/raw` stored.

    `freshness_policy` is the vendor's promise for `messages` (see its cadence.py).
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
            tags={"chat_assets/layer": "normalized", "chat_assets/table": table},
            skippable=True,  # a range may end with days skipped (day_outcomes.py)
            # A day fetched in a run whose other days failed is normalized by the automation sensor:
            # Dagster skips steps downstream of a failed step in the same run (day_outcomes.py).
            automation_condition=FOLLOW_INPUTS,
            # How fresh the vendor's messages should be (its cadence.py): shown and evaluated by Dagster.
            freshness_policy=freshness_policy if table == "messages" else None,
        )
        for table in tables
    ]

    messages_key = dg.AssetKey([vendor, "messages"])
    check_specs: list[dg.AssetCheckSpec] = (
        [
            dg.AssetCheckSpec(
                "message_ids_unique",
                asset=messages_key,
                blocking=True,
                description="message_id is unique per (provider, account).",
            ),
            dg.AssetCheckSpec(
                "vocabularies",
                asset=messages_key,
                blocking=True,
                description="sender_role and content_type are in the canonical vocabularies.",
            ),
            dg.AssetCheckSpec(
                "sent_at_within_day",
                asset=messages_key,
                description="sent_at falls in the partition's day, give or take 24 hours (vendors that "
                "report by close date return conversations that cross midnight).",
            ),
        ]
        if "messages" in tables
        else []
    )

    blocking = {spec.name for spec in check_specs if spec.blocking}

    @dg.multi_asset(
        name=f"{vendor}_normalized",
        specs=specs,
        check_specs=check_specs,
        partitions_def=partitions_def,
        backfill_policy=RANGE_POLICY,
        op_tags=execution.COMPUTE,
        required_resource_keys={"store", vendor} if with_vendor_resource else {"store"},
    )
    def _normalize(context: dg.AssetExecutionContext):  # type: ignore[no-untyped-def]
        resource: StoreResource = context.resources.store
        vendor_resource = getattr(context.resources, vendor) if with_vendor_resource else None
        store = resource.store()
        memory.map_large_blocks()
        keys = [dg.AssetKey([vendor, table]) for table in tables]
        outcomes = DayOutcomes(context, vendor, keys, context.partition_keys)
        totals = dict.fromkeys(tables, 0)
        checked: dict[str, list[tuple[str, bool, dict[str, Any]]]] = {spec.name: [] for spec in check_specs}
        for day in context.partition_keys:
            day_started = time.monotonic()
            accounts = store.raw_accounts(vendor, day)
            # A vendor whose accounts are discovered (Wannabot) writes a day-level manifest even when
            # the day had nothing: that is an empty day, not a day never fetched.
            if not accounts and not store.exists(f"raw/{vendor}/{day}/manifest.json"):
                if not partitions.is_closed(day, resource.timezone):
                    outcomes.skip(
                        day, partitions.not_over_yet(resource.timezone, "nothing was fetched for it yet")
                    )
                else:
                    outcomes.failed(
                        NoRawDataError(vendor, None, day, "nothing stored under raw/ for this day")
                    )
                continue
            try:
                written = normalize_day(
                    store, vendor, day, accounts, tables, normalize_one, resource, vendor_resource
                )
            except VendorError as error:
                outcomes.failed(error)
                continue
            day_checks = []
            if "messages" in tables:
                messages = written["messages"][0]
                day_checks = [
                    ("message_ids_unique", checks.unique_message_ids(messages)),
                    ("vocabularies", checks.vocabularies(messages)),
                    ("sent_at_within_day", checks.sent_at_within_day(messages, day, resource.timezone)),
                ]
            for name, (passed, meta) in day_checks:
                checked[name].append((day, passed, meta))
            broken = [name for name, (passed, _) in day_checks if not passed and name in blocking]
            for table in tables:
                data = written[table][0]
                store.write_table(table, day, vendor, data)
                totals[table] += data.num_rows
            memory.release_freed()  # before the next day (memory.py)
            if broken:
                # In a whole range the check results say it and keep downstream unbuilt; a day recorded
                # alone carries no check result, so there it fails instead.
                outcomes.held[day] = BlockingCheckError(vendor, None, day, f"{', '.join(broken)} failed")
            outcomes.progress(
                None, day, ", ".join(f"{written[t][0].num_rows} {t}" for t in tables) + " written"
            )
            outcomes.succeeded(
                day,
                {
                    dg.AssetKey([vendor, table]): {
                        **table_metadata(table, written[table][0]),
                        **written[table][1],
                        "elapsed_s": round(time.monotonic() - day_started, 3),
                        "path": dg.MetadataValue.path(store.abspath(store.table_path(table, day, vendor))),
                    }
                    for table in tables
                },
            )
        yield from outcomes.finish(
            dg.MaterializeResult(
                asset_key=key,
                metadata={
                    "days": len(context.partition_keys),
                    "rows_written": totals[key.path[-1]],
                    "elapsed_s": round(time.monotonic() - outcomes.started, 3),
                },
                check_results=[
                    checks.check_result(spec, checked[spec.name])
                    for spec in check_specs
                    if spec.asset_key == key
                ],
            )
            for key in keys
        )

    return _normalize


def normalize_day(
    store: DataStore,
    vendor: str,
    day: str,
    accounts: Sequence[str],
    tables: Sequence[str],
    normalize_one: NormalizeOne,
    resource: StoreResource,
    vendor_resource: Any,
) -> dict[str, tuple[pa.Table, dict[str, Any]]]:
    """Every account of the day through the vendor's normalizer: each table and the day's notes.

    The one error boundary for normalization: anything unforeseen becomes a named VendorError.
    """
    parts: dict[str, list[pa.Table]] = {t: [] for t in tables}
    notes: dict[str, Any] = {}
    for account in accounts:
        manifest = store.raw_manifest(vendor, day, account) or {}
        inp = NormalizeInput(store, vendor, day, account, manifest, resource.timezone, vendor_resource)
        raw_path = store.abspath(store.raw_dir(vendor, day, account))
        try:
            out = normalize_one(inp)
        except VendorError:
            raise
        except SchemaError as error:
            raise schema_broken(vendor, account, day, error, raw_path) from None
        except Exception as exc:
            raise UnexpectedError(
                vendor, account, day, f"{type(exc).__name__}: {exc}", raw_path=raw_path
            ) from None
        for table in tables:
            parts[table].append(out.get(table, schemas.empty(table)))
        notes.update({f"{account} {key}": value for key, value in inp.notes.items()})
    written = {}
    for table in tables:
        data = (
            pa.concat_tables([schemas.conform(table, t) for t in parts[table]])
            if parts[table]
            else schemas.empty(table)
        )
        if table == "messages":
            # One order whatever order pages, sessions or windows arrived in: same input, same bytes.
            data = data.sort_by(
                [("account", "ascending"), ("conversation_id", "ascending"), ("seq", "ascending")]
            )
            try:
                data = with_sentiment(schemas.validate_messages(data))
            except SchemaError as error:
                raise schema_broken(vendor, None, day, error) from None
        written[table] = (data, notes)
    return written


def schema_broken(
    vendor: str, account: str | None, day: str, error: SchemaError, raw_path: str | None = None
) -> UnexpectedError:
    return UnexpectedError(
        vendor,
        account,
        day,
        f"normalized rows break the schema: {error}",
        action="This is a chat_assets bug; report it with the raw folder.",
        raw_path=raw_path,
    )
