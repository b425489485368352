"""A long range's memory stays flat: what one day freed goes back to the system before the next.

A normalizer's memory is held by two allocators, and by default both keep what is freed for
reuse instead of returning it:

- Arrow's pool (mimalloc or jemalloc) holds the tables; `release_unused` hands its free pages
  back (a range otherwise peaked about 60 MB higher from its second day on).
- glibc's malloc holds Python's bytes (a day's raw answer) and NumPy's arrays. It returns a
  large block to the system when it is freed only while the block is above its mmap threshold,
  and it raises that threshold to the size of each large block freed (up to 32 MB): after the
  first day, blocks of a few megabytes come from the heap and stay there. A fixed threshold
  (`mallopt(M_MMAP_THRESHOLD)`, which also turns the raising off) keeps them returned: Neoagent's
  second and third days of a range peaked 22-26 MB higher than its first without it, and level
  with it (`python -m benchmarks.normalize`).

Called by the normalized assets and the readers of large days (and the normalization benchmark,
which measures what they do).
"""

from __future__ import annotations

import ctypes

import pyarrow as pa

#: glibc's mallopt parameter number for the mmap threshold (malloc.h).
_M_MMAP_THRESHOLD = -3
#: glibc's own starting threshold: blocks from this size are mapped and returned when freed.
MMAP_THRESHOLD = 128 * 1024


def map_large_blocks() -> bool:
    """Fix glibc's mmap threshold for this process (module docstring); False where there is no glibc."""
    # The process's own symbols, as storage.py finds renameat2 (find_library would run ldconfig).
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)  # glibc; absent on macOS
    return bool(mallopt is not None and mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1)


def release_freed() -> None:
    """Hand Arrow's free pages back to the system (between the days of a range)."""
    pa.default_memory_pool().release_unused()
