"""Size limits on what vendors send, written once: every cap is configurable and named in its error.

A hostile or broken answer must not fill the disk or the memory before it is judged: response
bodies are read up to a cap, zip members are checked for size and compression ratio (zip bombs)
before and while they are read, and JSON is never nested deeper than a reader can walk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chat_assets.config import env_number

MIB = 1 << 20


@dataclass(frozen=True)
class Limits:
    #: CHAT_ASSETS_MAX_BODY_MB: the largest HTTP response body read from a vendor.
    max_body_bytes: int = 512 * MIB
    #: CHAT_ASSETS_MAX_MEMBER_MB: the largest file inside a vendor's zip, uncompressed.
    max_member_bytes: int = 256 * MIB
    #: CHAT_ASSETS_MAX_ZIP_RATIO: the largest uncompressed / compressed ratio of a zip member.
    max_zip_ratio: float = 200.0

    def body_error(self, size: int) -> str:
        return (
            f"the answer is larger than CHAT_ASSETS_MAX_BODY_MB={self.max_body_bytes // MIB} "
            f"(at least {size // MIB} MiB arrived)"
        )


def limits(environ: Mapping[str, str] | None = None) -> Limits:
    return Limits(
        max_body_bytes=int(env_number("CHAT_ASSETS_MAX_BODY_MB", 512, 1, 1 << 16, environ) * MIB),
        max_member_bytes=int(env_number("CHAT_ASSETS_MAX_MEMBER_MB", 256, 1, 1 << 16, environ) * MIB),
        max_zip_ratio=env_number("CHAT_ASSETS_MAX_ZIP_RATIO", 200, 2, 100_000, environ),
    )
