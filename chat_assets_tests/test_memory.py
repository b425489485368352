"""Memory between the days of a range: blocks freed by one day go back to the system (memory.py)."""

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
