"""The one place vendors are registered.

Each name is a package under `chat_assets/` holding that vendor's whole story: `client.py`,
`assets.py` (raw fetch + normalize), `normalize.py`, `cadence.py` and `simulator.py`. Adding a
sixth vendor means adding its folder and its name here.
"""

from __future__ import annotations

import importlib
from types import ModuleType

VENDORS: tuple[str, ...] = ("multichat", "wolkvox", "jelou", "neoagent", "wannabot")


def module(vendor: str, part: str) -> ModuleType:
    return importlib.import_module(f"chat_assets.{vendor}.{part}")
