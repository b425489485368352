"""The look-back window behind `returning_customers`, read once per step rather than once per day.

A day's returning customers are those seen on any of the previous `LOOKBACK_DAYS` days. Reading
those days' conversations for every day of a backfill reads each file thirty times (a year: about
11,000 reads per vendor). The window slides instead: each earlier day's distinct (account,
customer_id) pairs are read once, the days a step computes itself are added as they are computed,
and days that fall out of the window are dropped. Within a range computed at once the SQL itself
looks back over the range's own days (`tables.ENGAGEMENT`); the window supplies the days before it.
"""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa

from chat_assets.analytics.tables import EARLIER_SCHEMA, LOOKBACK_DAYS, seen_on
from chat_assets.storage import DataStore

_PAIRS = pa.schema([EARLIER_SCHEMA.field("account"), EARLIER_SCHEMA.field("customer_id")])


class CustomerWindow:
    def __init__(self, store: DataStore, vendor: str, days: int = LOOKBACK_DAYS):
        self.store, self.vendor, self.days = store, vendor, days
        self.by_day: dict[str, pa.Table] = {}

    def _read(self, day: str) -> pa.Table:
        table = self.store.read_table("conversations", day, self.vendor, columns=["account", "customer_id"])
        if table is None or not table.num_rows:
            return _PAIRS.empty_table()
        return (
            table.filter(table["customer_id"].is_valid()).group_by(["account", "customer_id"]).aggregate([])
        )

    def earlier(self, day: str) -> pa.Table:
        """Every (day, account, customer_id) seen on the `days` days before `day`."""
        first = date.fromisoformat(day)
        wanted = [(first - timedelta(days=back)).isoformat() for back in range(1, self.days + 1)]
        self.by_day = {d: t for d, t in self.by_day.items() if d in wanted}
        for d in wanted:
            if d not in self.by_day:
                self.by_day[d] = self._read(d)
        return pa.concat_tables([seen_on(d, self.by_day[d]) for d in wanted])

    def add(self, day: str, customers: pa.Table) -> None:
        """Day `day`'s (account, customer_id) pairs, as just computed (no need to read its file)."""
        self.by_day[day] = customers.select(["account", "customer_id"])
