"""Per-day outcomes of a ranged run, written once: good days materialized, bad days failed alone.

A backfill or `--partition-range` runs several days in one step. Dagster records a step's
output for every day of its range at once, so a single bad account-day used to cost the whole
range. Every ranged asset here (raw and normalized) records its days through `DayOutcomes`:

- every day completed: the step returns its results as usual (one event per day, with the
  per-day metadata added while it ran);
- some days failed: the good days are recorded as materializations of their own partition
  (`AssetMaterialization(partition=day)`), then the step fails listing each bad account-day.
  Dagster's asset backfill subtracts what a failed ranged run did materialize, so the asset
  ends with the good days materialized and only the bad ones failed;
- some days skipped (not over yet) and none failed: the good days are recorded the same way and
  the step ends without output: a success, with a note per skipped day.

In the last two cases Dagster skips the steps downstream in the same run (a step's output is all
or nothing). The normalized and derived tables therefore follow their inputs by automation
(`cadence.FOLLOW_INPUTS`, the `analytics_automation` sensor): under the daemon, the good days of a
partly failed range are normalized and derived in follow-up runs; from the bare CLI, select the
next layer (`--select 'jelou/messages+'`), whose bad days again fail alone.

The assets' specs are `skippable` for this reason. Progress is logged as days complete
(`jelou bot-1: day 37 of 365 (2025-02-06): ...`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import dagster as dg

from chat_assets.errors import VendorError, to_failure


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


class DayOutcomes:
    """What happened to each day of a step's range, and the one way such a step ends."""

    def __init__(
        self,
        context: dg.AssetExecutionContext,
        vendor: str,
        keys: Sequence[dg.AssetKey],
        days: Sequence[str],
    ):
        self.context, self.vendor, self.keys, self.days = context, vendor, list(keys), list(days)
        self.started = time.monotonic()
        self.done: dict[str, dict[dg.AssetKey, dict[str, Any]]] = {}
        self.skipped: dict[str, str] = {}
        self.errors: list[VendorError] = []
        self.failed_days: set[str] = set()
        #: Complete days that may only be recorded with the whole range (e.g. a blocking check failed).
        self.held: dict[str, VendorError] = {}

    def position(self, day: str) -> str:
        """`day 37 of 365 (2025-02-06)`: where a long backfill has got."""
        return f"day {self.days.index(day) + 1} of {len(self.days)} ({day})"

    def progress(self, account: str | None, day: str, what: str) -> None:
        who = f"{self.vendor} {account}" if account else self.vendor
        self.context.log.info(f"{who}: {self.position(day)}: {what}")

    def succeeded(self, day: str, metadata: Mapping[dg.AssetKey, Mapping[str, Any]]) -> None:
        """The day is complete for every key; its metadata is attached to its own partition now."""
        self.done[day] = {key: dict(metadata.get(key, {})) for key in self.keys}
        for key in self.keys:
            self.context.add_asset_metadata(self.done[day][key], asset_key=key, partition_key=day)

    def failed(self, error: VendorError) -> None:
        self.errors.append(error)
        if error.day:
            self.failed_days.add(error.day)
        self.context.log.error(str(error))

    def skip(self, day: str, note: str) -> None:
        self.skipped[day] = note
        self.context.log.info(f"{self.vendor}: {self.position(day)}: skipped: {note}")

    @property
    def good_days(self) -> list[str]:
        return [day for day in self.days if day in self.done and day not in self.failed_days]

    def finish(
        self,
        results: Iterator[dg.MaterializeResult] | Sequence[dg.MaterializeResult],
        total: int | None = None,
    ) -> Iterator[dg.MaterializeResult]:
        """Yield `results` when every day completed; otherwise record the good days alone and end.

        `results` are the step's usual results (with check results); they are used only when the
        whole range completed, so their metadata may describe the range.
        """
        if not self.errors and not self.skipped and len(self.good_days) == len(self.days):
            yield from results
            return
        for error in self.held.values():
            self.failed(error)
        for day in self.good_days:
            for key in self.keys:
                self.context.log_event(
                    dg.AssetMaterialization(key, partition=day, metadata=self.done[day][key])
                )
        if self.skipped:
            self.context.log.info(
                f"{self.vendor}: {len(self.skipped)} day(s) skipped, not failed: "
                + "; ".join(f"{day}: {note}" for day, note in self.skipped.items())
            )
        if self.errors:
            # Dagster skips every step after a failed one in the same run, for the good days too: say
            # so, and how they get built, where a CLI user reads the outcome.
            self.context.log.info(
                f"{self.vendor}: {len(self.good_days)} of {len(self.days)} day(s) materialized; "
                f"failed: {', '.join(sorted(self.failed_days)) or 'see below'}. This run builds nothing "
                "after this step for any day; with dagster-daemon running, its automation sensor builds "
                "the good days' tables, or run `dagster asset materialize --select "
                f"'{self.keys[0].to_user_string()}*' --partition-range {self.days[0]}...{self.days[-1]}` "
                "once the failed days are fixed (complete raw days are not fetched again)"
            )
            raise combined_failure(self.vendor, self.errors, total or len(self.days))
