"""How this vendor plugs into the code location (filled in by its connector)."""

from chat_assets.config import VendorEnv

ENV = VendorEnv(vendor="jelou", required=("JELOU_NOT_YET_SUPPORTED",))
ASSETS: list = []
SCHEDULES: list = []
SENSORS: list = []
