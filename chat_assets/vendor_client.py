"""What the shared asset factories expect of a vendor's resource and client.

A vendor's resource (`VendorResource`) holds its settings, with the project's settings nested,
and builds one client per run (`VendorClient`); the raw-asset factory drives that client one
account-day at a time. `HttpVendorClient` gives the parts every client built on `VendorHttp`
shares.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import dagster as dg

from chat_assets.http import Redactor, VendorHttp
from chat_assets.settings import StoreResource
from chat_assets.storage import RawFetch


class VendorClient(Protocol):
    """One run's connection to a vendor: what the raw-asset factory calls."""

    #: How many account-days the raw factory may fetch at the same time with this client (its
    #: HTTP cap still bounds the requests in flight). 1 where the vendor allows one caller.
    account_days_at_once: int

    def describe(self, day: str, account: str) -> dict[str, object]:
        """The request of an account-day as the manifest records it (no secret in it)."""
        ...

    def prepare(self, days: Sequence[str]) -> None:
        """Told once, before any fetch, which days this run will fetch (Neoagent asks for one range)."""
        ...

    def fetch_day(self, fetch: RawFetch, day: str, account: str) -> None:
        """Fetch one account-day into `fetch`, keeping every answer's bytes; raise a VendorError on trouble."""
        ...

    def redact(self, text: str) -> str:
        """`text` with this client's secrets replaced."""
        ...

    def stats(self) -> dict[str, Any]:
        """HTTP figures of the run (requests, statuses, retries, waits) for the run's metadata."""
        ...

    def close(self) -> None: ...


class HttpVendorClient:
    """The parts of `VendorClient` every client built on `VendorHttp` shares."""

    http: VendorHttp
    redact: Redactor
    #: One at a time unless the vendor's client says otherwise (vendor_client.VendorClient).
    account_days_at_once: int = 1

    def prepare(self, days: Sequence[str]) -> None:
        """Most vendors are asked day by day: nothing to plan."""

    def stats(self) -> dict[str, Any]:
        return self.http.stats.as_metadata()

    def close(self) -> None:
        self.http.close()


class VendorResource(dg.ConfigurableResource):
    """A vendor's settings as a Dagster resource; the project's settings are nested, never copied."""

    store: StoreResource

    def accounts(self) -> list[str]:
        """The configured accounts (line numbers, bots, serials, servers) this resource fetches."""
        raise NotImplementedError

    def client(self) -> VendorClient:
        raise NotImplementedError


def split_list(value: str) -> list[str]:
    """A validated comma-separated account list, as VendorEnv stored it."""
    return [item.strip() for item in value.split(",") if item.strip()]
