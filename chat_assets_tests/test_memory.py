"""Memory: blocks freed by one day of a range go back to the system (memory.py), and a day's parsed
CSV is let go before its canonical table is assembled."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

#: A day's raw answer (24 MB) freed, then 40 MB of megabyte blocks (what NumPy and Python's bytes
#: ask for) allocated, touched and freed: how many MB of them the process still holds.
PROBE = textwrap.dedent(
    """
    import sys
    from chat_assets import memory

    def rss_mb():
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmRSS"))

    if sys.argv[1] == "fixed":
        assert memory.map_large_blocks()
    answer = b"y" * (24 << 20)
    del answer
    before = rss_mb()
    blocks = [b"x" * (1 << 20) for _ in range(40)]
    grew = rss_mb() - before
    del blocks
    print(grew, rss_mb() - before)
    """
)


def held_after_free(mode: str) -> tuple[int, int]:
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True)
    grew, held = (int(x) for x in out.stdout.split())
    return grew, held


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt and /proc are Linux's")
def test_a_fixed_mmap_threshold_returns_the_blocks_a_day_freed() -> None:
    # Without it glibc raised its threshold to the 24 MB answer: the megabyte blocks came from
    # the heap and stayed with the process after they were freed.
    grew, held = held_after_free("default")
    assert grew >= 38 and held >= 30
    grew, held = held_after_free("fixed")
    assert grew >= 38 and held <= 4


#: A simulated Multichat day normalized with its CSV's table kept by the caller or handed over:
#: the table's size, and what Arrow holds when the canonical table starts being assembled.
HANDOVER = textwrap.dedent(
    """
    import sys
    from datetime import date

    import pyarrow as pa

    from chat_assets import canonical
    from chat_assets.multichat.csvfile import read_csv
    from chat_assets.multichat.normalize import conversations_to_messages
    from chat_assets.multichat.simulator import conversaciones_csv
    from chat_assets.simulator.server import SimulatorConfig

    held = []
    assemble = canonical.messages_table

    def watched(n, columns):
        held.append(pa.total_allocated_bytes())
        return assemble(n, columns)

    canonical.messages_table = watched
    config = SimulatorConfig(volume=(1500, 1500))
    account = config.accounts["multichat"][0]
    data, _ = read_csv(conversaciones_csv(config, account, date(2025, 10, 3)))
    size = data.nbytes
    if sys.argv[1] == "handed":
        data = [data]
    table, _ = conversations_to_messages(data, "c.csv", account, "2025-10-03", "America/Bogota")
    print(size, table.num_rows, held[0])
    """
)


def test_a_multichat_csv_handed_over_is_let_go_before_the_table_is_assembled() -> None:
    runs = {}
    for mode in ("kept", "handed"):
        out = subprocess.run(
            [sys.executable, "-c", HANDOVER, mode], capture_output=True, text=True, check=True
        )
        runs[mode] = [int(x) for x in out.stdout.split()]
    (size, rows, kept), (_, handed_rows, handed) = runs["kept"], runs["handed"]
    assert rows == handed_rows > 10_000
    # Assembling the canonical table (the normalizer's peak) no longer happens beside the CSV's table.
    assert kept - handed > size * 0.8, (size, kept, handed)
