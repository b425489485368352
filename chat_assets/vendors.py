"""The one place vendors are registered.

Each entry is a `Vendor` from a package under `chat_assets/` that holds that vendor's whole
story: `client.py`, `assets.py`, `normalize.py`, `cadence.py`, `simulator.py` and `defs.py`, which
builds the vendor's own `dg.Definitions`. A sixth vendor is its folder and its line here.
"""

from __future__ import annotations

from chat_assets.jelou.defs import JELOU
from chat_assets.multichat.defs import MULTICHAT
from chat_assets.neoagent.defs import NEOAGENT
from chat_assets.vendor import Vendor
from chat_assets.wannabot.defs import WANNABOT
from chat_assets.wolkvox.defs import WOLKVOX

VENDORS: tuple[Vendor, ...] = (MULTICHAT, WOLKVOX, JELOU, NEOAGENT, WANNABOT)
