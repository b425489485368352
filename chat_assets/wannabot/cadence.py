"""Wannabot's cadence: a sensor on the session registry (inbox/wannabot/*.csv).

Every minute it looks for registry files that are new or changed since its cursor (by content
hash, so a touched but unchanged file does nothing), finds the days their sessions belong to,
and requests one run per day once that day is over; days still running wait in the cursor.
A run key is the day plus a hash of that day's session ids, so the daemon runs a day again only
when its sessions changed, and the raw asset fetches only the sessions it has not stored yet:
each session is fetched once. The cursor lives in the Dagster instance and survives restarts.
The sensor receives the `store` resource (the data dir and the zone), like the assets do.
"""

import hashlib
import json
from datetime import timedelta

import dagster as dg

from chat_assets import partitions
from chat_assets.cadence import job_name
from chat_assets.settings import StoreResource
from chat_assets.wannabot.client import VENDOR
from chat_assets.wannabot.registry import INBOX, read_registry


def registry_sensor(
    context: dg.SensorEvaluationContext, settings: StoreResource
) -> dg.SensorResult | dg.SkipReason:
    store = settings.store()
    state = json.loads(context.cursor) if context.cursor else {}
    known: dict[str, str] = state.get("files", {})
    pending: set[str] = set(state.get("pending", []))  # days touched by a change, waiting for their run
    digests = {
        rel: hashlib.sha256(store.read_bytes(rel)).hexdigest()
        for rel in store.list_files(INBOX)
        if rel.lower().endswith(".csv")
    }
    changed = {rel for rel, digest in digests.items() if known.get(rel) != digest}
    registry = read_registry(store, settings.timezone) if changed or pending else None
    if registry is not None:
        for problem in registry.rejected:
            context.log.warning(f"wannabot registry: {problem}")
        pending |= {s.day for s in registry.sessions if s.source in changed}
    requests = []
    for day in sorted(pending):
        if not partitions.is_closed(day, settings.timezone):
            continue
        assert registry is not None
        sessions = sorted(s.session_id for s in registry.for_day(day))
        key = hashlib.sha256("\n".join(sessions).encode()).hexdigest()[:16]
        # Same sessions, same key: the daemon skips a day whose registry entries did not change.
        requests.append(
            dg.RunRequest(run_key=f"{day}:{key}", partition_key=day, tags={"chat_assets/cadence": "registry"})
        )
    still_open = sorted(day for day in pending if not partitions.is_closed(day, settings.timezone))
    cursor = json.dumps({"files": digests, "pending": still_open}, sort_keys=True)
    if not requests:
        context.update_cursor(cursor)
        waiting = (
            f"; {len(still_open)} day(s) wait for midnight: {', '.join(still_open)}" if still_open else ""
        )
        return dg.SkipReason(f"no new or changed registry file{waiting}")
    return dg.SensorResult(run_requests=requests, cursor=cursor)


def sensors() -> list[dg.SensorDefinition]:
    @dg.sensor(
        name="wannabot_registry",
        job_name=job_name(VENDOR),
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="Fetches the sessions of new or changed registry files into their days, once each day "
        "is over.",
    )
    def wannabot_registry(
        context: dg.SensorEvaluationContext, store: StoreResource
    ) -> dg.SensorResult | dg.SkipReason:
        return registry_sensor(context, store)

    return [wannabot_registry]


def freshness(tz: str) -> dg.FreshnessPolicy:
    """Yesterday's registered sessions in the warehouse by 06:00 local time (the sensor asks after midnight)."""
    return dg.FreshnessPolicy.cron(
        deadline_cron="0 6 * * *", lower_bound_delta=timedelta(hours=6), timezone=tz
    )
