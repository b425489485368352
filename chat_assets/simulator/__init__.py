"""The vendor simulator: all five vendor APIs on one loopback HTTP server.

    with Simulator(SimulatorConfig(volume=(20, 40))) as sim:
        os.environ.update(sim.env())   # *_BASE_URL and credentials pointing at it

or from a shell: `python -m chat_assets.simulator --port 0`.
"""

from __future__ import annotations

import importlib
import json
import threading
import urllib.request
from typing import Any

from chat_assets.simulator.server import SimulatorConfig, SimulatorServer
from chat_assets.vendors import VENDORS

__all__ = ["Simulator", "SimulatorConfig"]


class Simulator:
    def __init__(self, config: SimulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0):
        self.config = config or SimulatorConfig()
        apis: list[Any] = []
        self.server = SimulatorServer((host, port), self.config, apis)
        for vendor in VENDORS:  # each vendor folder's simulator.py renders its API documents
            fake_api = importlib.import_module(f"chat_assets.{vendor.name}.simulator").FAKE_API
            apis.append(fake_api(self.config, self.server.counters))
        self.server.apis = sorted(apis, key=lambda api: len(api.prefix), reverse=True)
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return self.server.url

    def env(self) -> dict[str, str]:
        """Environment variables that point every vendor of chat_assets at this simulator."""
        c, a, url = self.config.credentials, self.config.accounts, self.url
        return {
            "CHAT_ASSETS_TIMEZONE": self.config.timezone,
            "MULTICHAT_BASE_URL": f"{url}/multichat/bot/chat_wa/ws/report/",
            "MULTICHAT_LOGIN": c["MULTICHAT_LOGIN"],
            "MULTICHAT_TOKEN": c["MULTICHAT_TOKEN"],
            "MULTICHAT_NUMBERS": ",".join(a["multichat"]),
            "WOLKVOX_BASE_URL": f"{url}/wolkvox",
            "WOLKVOX_SERVER": a["wolkvox"][0],
            "WOLKVOX_TOKEN": c["WOLKVOX_TOKEN"],
            "JELOU_BASE_URL": f"{url}/jelou",
            "JELOU_USERNAME": c["JELOU_USERNAME"],
            "JELOU_PASSWORD": c["JELOU_PASSWORD"],
            "JELOU_BOT_IDS": ",".join(a["jelou"]),
            "NEOAGENT_BASE_URL": f"{url}/neoagent",
            "NEOAGENT_API_KEY": c["NEOAGENT_API_KEY"],
            "NEOAGENT_SERIAL_NUMBERS": ",".join(a["neoagent"]),
            "WANNABOT_BASE_URL": f"{url}/wannabot",
            "WANNABOT_API_KEY": c["WANNABOT_API_KEY"],
        }

    def start(self) -> Simulator:
        self.thread = threading.Thread(target=self.server.serve_forever, name="vendor-simulator", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def counters(self) -> dict[str, int]:
        return fetch_counters(self.url)


def fetch_counters(url: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{url}/_sim/counters", timeout=10) as response:
        return json.loads(response.read())
