"""Wannabot assets: `wannabot/raw` (one JSON per registered session, filed under its bot) and messages.

The day's sessions come from the registry (registry.py). Sessions already stored are not
fetched again (unless `refetch`), so a registry file that grows only costs its new sessions. A
session that answers something unreadable fails the run, naming it and its registry file, after
the day's other sessions were stored; its answer is kept under raw/_failed/wannabot/<day>/unresolved/.
A session the vendor does not know (404) is reported by id in the day's manifest and metadata
(`missing`) and does not block the day; a later run asks for it again.
"""

import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterator

import dagster as dg

from chat_assets import execution, partitions
from chat_assets.cadence import RANGE_POLICY, RAW_RETRY_POLICY
from chat_assets.day_outcomes import DayOutcomes
from chat_assets.errors import UnexpectedError, VendorError
from chat_assets.normalized_asset import normalized_assets
from chat_assets.raw_asset import RawFetchConfig, raw_spec
from chat_assets.settings import StoreResource
from chat_assets.wannabot.client import VENDOR, WannabotResource
from chat_assets.wannabot.normalize import normalize_one
from chat_assets.wannabot.registry import INBOX, read_registry

#: Days whose sessions are queued ahead of the one being stored (bodies held in memory meanwhile).
LOOKAHEAD_DAYS = 2


def build_assets(
    partitions_def: dg.PartitionsDefinition, freshness_policy: dg.FreshnessPolicy | None = None
) -> list[dg.AssetsDefinition]:
    @dg.multi_asset(
        name=f"{VENDOR}__raw",
        specs=[
            raw_spec(
                VENDOR,
                f"Wannabot history of every session registered in {INBOX}/*.csv for the local day, one JSON per "
                "session under raw/wannabot/<day>/<bot>/ (the bot comes from the answer's bot.id).",
                {"api", "json"},
            )
        ],
        partitions_def=partitions_def,
        backfill_policy=RANGE_POLICY,
        retry_policy=RAW_RETRY_POLICY,
        op_tags=execution.FETCH,
    )
    def wannabot_raw(
        context: dg.AssetExecutionContext,
        config: RawFetchConfig,
        store: StoreResource,
        wannabot: WannabotResource,
    ) -> Iterator[dg.MaterializeResult]:
        key = dg.AssetKey([VENDOR, "raw"])
        client = wannabot.client()
        data = store.store(redact=client.redact)
        registry = read_registry(data, store.timezone)
        for problem in registry.rejected:
            context.log.warning(f"wannabot registry: {problem}")
        outcomes = DayOutcomes(context, VENDOR, [key], context.partition_keys)
        total_fetched = 0
        closed = [day for day in context.partition_keys if partitions.is_closed(day, store.timezone)]
        planned: dict[str, tuple[list, list, Callable[[], list]] | Exception] = {}

        def plan(day: str) -> tuple[list, list, Callable[[], list]] | Exception:
            """The day's registered sessions, those still to fetch, and their fetch, started now."""
            try:
                sessions = registry.for_day(day)
                stored: set[str] = set()
                for bot in data.raw_accounts(VENDOR, day):
                    manifest = data.raw_manifest(VENDOR, day, bot) or {}
                    stored.update(
                        f.get("session_id") for f in manifest.get("files", []) if f.get("session_id")
                    )
                todo = sessions if config.refetch else [s for s in sessions if s.session_id not in stored]
                return sessions, todo, client.submit(todo)
            except Exception as exc:  # judged when its day's turn comes, as if raised there
                return exc

        try:
            for day in context.partition_keys:
                started = time.monotonic()
                if day in closed:
                    # The next days' sessions queue behind this day's (see WannabotClient.submit).
                    at = closed.index(day)
                    for ahead in closed[at : at + 1 + LOOKAHEAD_DAYS]:
                        if ahead not in planned:
                            planned[ahead] = plan(ahead)
                if day not in closed:
                    # Sessions of a running day still grow: they are fetched once the day is over.
                    outcomes.skip(
                        day,
                        partitions.not_over_yet(
                            store.timezone, "the registry sensor fetches it after midnight"
                        ),
                    )
                    continue
                try:
                    day_errors = len(outcomes.errors)
                    got = planned.pop(day)
                    if isinstance(got, Exception):
                        raise got
                    sessions, todo, results_of = got
                    results = results_of()
                    by_bot = defaultdict(list)
                    missing = []
                    for result in results:
                        if result.error is None:
                            by_bot[result.bot].append(result)
                            continue
                        kept = data.keep_failed(
                            VENDOR,
                            day,
                            "unresolved",
                            f"{result.session.session_id}.json",
                            result.body,
                            redact=client.redact,
                        )
                        result.error.redacted(client.redact).with_raw_path(kept)
                        if result.missing:
                            missing.append(
                                {
                                    "session_id": result.session.session_id,
                                    "registry": result.session.source,
                                    "line": result.session.line,
                                    "kept_at": kept,
                                }
                            )
                            context.log.warning(str(result.error))
                            continue
                        outcomes.failed(result.error)
                    for bot, bot_results in sorted(by_bot.items()):
                        request = {"endpoint": client.describe("<session_id>"), "sessions": len(bot_results)}
                        with data.raw_fetch(
                            VENDOR, day, bot, request, redact=client.redact, keep_existing=True
                        ) as fetch:
                            fetch.note(day_closed=True)
                            for r in bot_results:
                                fetch.add(
                                    f"{r.session.session_id}.json",
                                    r.body,
                                    status=r.status,
                                    records=r.body.count(b'"is_bot"'),
                                    session_id=r.session.session_id,
                                    created_at=r.session.created_at.isoformat(),
                                    registry=r.session.source,
                                )
                    total_fetched += len(results)
                    summary = {
                        "day": day,
                        "registered": len(sessions),
                        "already_stored": len(sessions) - len(todo),
                        "fetched": len(results),
                        "failed": [r.session.session_id for r in results if r.error and not r.missing],
                        "missing": missing,
                        "rejected_registry_lines": registry.rejected,
                    }
                    # A day-level summary: also what tells an empty day (no sessions) from a day never fetched.
                    data.write_bytes(
                        f"raw/{VENDOR}/{day}/manifest.json", json.dumps(summary, indent=2).encode()
                    )
                    outcomes.progress(
                        None, day, f"{len(results)} of {len(sessions)} registered session(s) fetched"
                    )
                    if len(outcomes.errors) > day_errors:
                        continue
                    outcomes.succeeded(
                        day,
                        {
                            key: {
                                "sessions_registered": len(sessions),
                                "sessions_fetched": len(results),
                                "sessions_missing": len(missing),
                                "missing_sessions": ", ".join(m["session_id"] for m in missing) or "none",
                                "bots": ", ".join(sorted(by_bot)) or "none",
                                "elapsed_s": round(time.monotonic() - started, 3),
                            }
                        },
                    )
                except VendorError as error:
                    outcomes.failed(error)
                except Exception as exc:  # the one boundary: a named failure, not a traceback retried blindly
                    outcomes.failed(
                        UnexpectedError(VENDOR, None, day, client.redact(f"{type(exc).__name__}: {exc}"))
                    )
        finally:
            client.close()
        yield from outcomes.finish(
            [
                dg.MaterializeResult(
                    asset_key=key,
                    metadata={
                        "days": len(context.partition_keys),
                        "sessions_fetched": total_fetched,
                        "http": dg.MetadataValue.json(client.stats()),
                    },
                )
            ],
            total=max(total_fetched, 1),
        )

    wannabot_normalized = normalized_assets(
        vendor=VENDOR,
        freshness_policy=freshness_policy,
        tables=("messages",),
        partitions_def=partitions_def,
        normalize_one=normalize_one,
        description="Wannabot session histories, normalized.",
    )
    return [wannabot_raw, wannabot_normalized]
