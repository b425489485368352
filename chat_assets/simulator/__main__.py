"""`python -m chat_assets.simulator --port 0`: serve all five fake vendor APIs until stopped.

Prints `SIMULATOR_URL=...` first (scripts read it), then the environment variables to use.
"""

from __future__ import annotations

import argparse
import signal
import sys
from datetime import date

from chat_assets.simulator import Simulator, SimulatorConfig
from chat_assets.simulator.server import VARIANTS


def parse_volume(text: str) -> tuple[int, int]:
    low, _, high = text.partition("-")
    lo, hi = int(low), int(high or low)
    if lo < 0 or hi < lo:
        raise argparse.ArgumentTypeError(
            "volume is MIN-MAX conversations per account per day, e.g. 1000-5000"
        )
    return lo, hi


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m chat_assets.simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--volume", type=parse_volume, default=(1000, 5000), help="conversations per account-day, MIN-MAX"
    )
    parser.add_argument("--timezone", default="America/Bogota")
    parser.add_argument(
        "--today", type=date.fromisoformat, default=None, help="the simulator's today (YYYY-MM-DD)"
    )
    parser.add_argument("--chaos", type=float, default=0.0, help="share of requests that misbehave (0-1)")
    parser.add_argument(
        "--link-ttl", type=float, default=3600.0, help="Multichat download link lifetime, seconds"
    )
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds every vendor request waits before its answer"
    )
    parser.add_argument("--neoagent-max-days", type=int, default=31)
    parser.add_argument("--wolkvox-max-records", type=int, default=60_000)
    parser.add_argument(
        "--variant",
        choices=VARIANTS,
        default="default",
        help="which faithful rendering of the vendor documents to serve",
    )
    args = parser.parse_args(argv)
    if not args.host.startswith("127.") and args.host not in ("localhost", "::1"):
        parser.error("the simulator only binds loopback addresses")
    config = SimulatorConfig(
        seed=args.seed,
        volume=args.volume,
        timezone=args.timezone,
        today=args.today,
        chaos=args.chaos,
        link_ttl_s=args.link_ttl,
        latency_s=args.latency,
        neoagent_max_days=args.neoagent_max_days,
        wolkvox_max_records=args.wolkvox_max_records,
        variant=args.variant,
    )
    sim = Simulator(config, host=args.host, port=args.port)
    print(f"SIMULATOR_URL={sim.url}", flush=True)
    for name, value in sim.env().items():
        print(f"{name}={value}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        sim.server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        sim.server.server_close()


if __name__ == "__main__":
    main()
