"""The grouping helpers every normalizer leans on, against their plain-Python definitions.

`seq_within`, `first_within`, `first_occurrences` and `first_rows` work on integer codes in Arrow and NumPy
(no pandas, no Python object per row); any list of ids, nulls included, must give what a loop
over the rows gives.
"""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from chat_assets import canonical

ids = st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "ñ-1", ""])), max_size=60)


@given(ids)
def test_seq_within_counts_each_rows_place_in_its_conversation(values: list[str | None]) -> None:
    seen: dict[str | None, int] = {}
    expected = []
    for value in values:
        expected.append(seen.get(value, 0))
        seen[value] = seen.get(value, 0) + 1
    assert canonical.seq_within(pa.array(values, pa.string())).to_pylist() == expected


@given(ids)
def test_first_occurrences_keeps_each_value_once_in_order(values: list[str | None]) -> None:
    seen: set[str | None] = set()
    expected = []
    for value in values:
        expected.append(value not in seen)
        seen.add(value)
    assert canonical.first_occurrences(pa.array(values, pa.string())).to_pylist() == expected


@given(ids)
def test_first_rows_keeps_each_values_first_row_and_copies_nothing_when_none_repeats(
    values: list[str | None],
) -> None:
    table = pa.table({"id": pa.array(values, pa.string()), "row": pa.array(range(len(values)))})
    kept = canonical.first_rows(table, "id")
    seen: set[str | None] = set()
    expected = []
    for row, value in enumerate(values):
        if value not in seen:
            expected.append(row)
        seen.add(value)
    assert kept.column("row").to_pylist() == expected
    assert (kept is table) == (len(expected) == len(values))


@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.one_of(st.none(), st.integers(0, 9))), max_size=60
    )
)
def test_first_within_fills_a_rows_gap_with_its_conversations_first_value(
    rows: list[tuple[str, int | None]],
) -> None:
    first: dict[str, int | None] = {}
    for conversation, value in rows:
        if first.get(conversation) is None:
            first[conversation] = value
    conversations = pa.array([c for c, _ in rows], pa.string())
    values = pa.array([v for _, v in rows], pa.int64())
    got = canonical.first_within(conversations, values).to_pylist()
    assert got == [first[c] if v is None else v for c, v in rows]
