"""Typed failures that tell an operator what broke and what to do.

Every vendor problem becomes a `VendorError` naming the vendor, the account and the day, the
problem in plain words and the action to take. Messages are built from already-redacted
text: nothing here ever formats a secret. `to_failure` turns one into a `dg.Failure` so the UI
shows the same sentence, and marks permanent problems (bad credentials, unknown account) as
not worth a Dagster retry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg


class ChatAssetsError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigError(ChatAssetsError):
    """An environment variable holds a value we cannot use."""


class SchemaError(ChatAssetsError):
    """A table does not match its canonical schema; names the offending column."""

    def __init__(self, table: str, column: str, problem: str):
        self.table, self.column, self.problem = table, column, problem
        super().__init__(f"table '{table}', column '{column}': {problem}")


class VendorError(ChatAssetsError):
    """A vendor call or payload failed. Subclasses say which kind of failure it was."""

    kind = "vendor error"
    default_action = "Check the run logs and the raw files, then re-run the partition."
    #: Whether a Dagster retry of the whole step may help.
    retryable = False

    def __init__(
        self,
        vendor: str,
        account: str | None,
        day: str | None,
        problem: str,
        *,
        action: str | None = None,
        raw_path: str | None = None,
        details: Mapping[str, Any] | None = None,
    ):
        self.vendor = vendor
        self.account = account
        self.day = day
        self.problem = problem
        self.action = action or self.default_action
        self.raw_path = raw_path
        self.details = dict(details or {})
        super().__init__(self._message())

    def _message(self) -> str:
        where = [f"[{self.vendor}]"]
        if self.account:
            where.append(f"account {self.account}")
        if self.day:
            where.append(f"day {self.day}")
        text = f"{' '.join(where)}: {self.kind}: {self.problem}. What to do: {self.action}"
        if self.raw_path:
            text += f" Raw bytes kept at: {self.raw_path}"
        return text

    def redacted(self, redact: Any) -> VendorError:
        """The same error with every known secret replaced in its text (vendors echo tokens in errors)."""
        self.problem = redact(self.problem)
        self.action = redact(self.action)
        self.args = (self._message(),)
        return self

    def with_raw_path(self, raw_path: str) -> VendorError:
        self.raw_path = raw_path
        self.args = (self._message(),)
        return self


class AuthError(VendorError):
    kind = "bad credentials"
    default_action = "Check the vendor's credentials in .env (the variable names are in .env.example)."


class AccountNotFoundError(VendorError):
    kind = "unknown account"
    default_action = "Check the account id in .env: the vendor does not know it or it was deleted."


class AccessDeniedError(VendorError):
    kind = "access denied"
    default_action = "Ask the vendor to activate the user/project or grant access to this account."


class RequestRejectedError(VendorError):
    kind = "request rejected"
    default_action = "This is a bug in chat_assets' request; report it with the run id."


class NotReadyError(VendorError):
    kind = "not available yet"
    default_action = (
        "Nothing to fix: the vendor publishes this day later. The next scheduled run picks it up."
    )
    # Waiting inside a run does not help (a report appears hours later): the next schedule tick retries.
    retryable = False


class RateLimitedError(VendorError):
    kind = "rate limited"
    default_action = "Wait and re-run; the vendor asked us to slow down."
    retryable = True


class QuotaExhaustedError(VendorError):
    kind = "daily quota spent"
    default_action = "The token's daily quota is used up; runs resume tomorrow. Do not retry today."


class UnavailableError(VendorError):
    kind = "vendor unavailable"
    default_action = "The vendor kept failing after retries; re-run the partition later."
    retryable = True


class PayloadError(VendorError):
    kind = "malformed payload"
    default_action = (
        "The vendor sent something we cannot read. Inspect the kept raw bytes; if the vendor changed its "
        "format, report it with that file."
    )


class NoRawDataError(VendorError):
    kind = "no raw data"
    default_action = "Materialize the vendor's raw asset for this day first (or both together)."


class BlockingCheckError(VendorError):
    kind = "blocking check failed"
    default_action = (
        "The day's canonical rows broke a rule the derived tables rely on: see the check's metadata in "
        "the UI, and report it with the raw folder (it is a chat_assets bug or a vendor change)."
    )


class UnexpectedError(VendorError):
    """Anything a fetch or a normalization did not foresee, named like every other failure.

    Not retried: an error nobody understood is not transient just because it is unknown.
    """

    kind = "unexpected error"
    default_action = (
        "Nothing we foresaw: report it with the kept raw files and the run id. Re-running will "
        "not help until the cause is known."
    )


def to_failure(error: VendorError) -> dg.Failure:
    """The Dagster failure an operator sees for a vendor error."""
    metadata: dict[str, Any] = {
        "vendor": error.vendor,
        "kind": error.kind,
        "what_to_do": error.action,
    }
    if error.account:
        metadata["account"] = error.account
    if error.day:
        metadata["day"] = error.day
    if error.raw_path:
        metadata["raw_path"] = error.raw_path
    return dg.Failure(description=str(error), metadata=metadata, allow_retries=error.retryable)
