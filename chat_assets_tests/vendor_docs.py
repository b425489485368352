"""Load the vendor documents' examples (fixtures/) and stage payloads as raw fetches."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from chat_assets.normalized_asset import NormalizeInput
from chat_assets.storage import DataStore

FIXTURES = Path(__file__).parent / "fixtures"


def doc_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def strip_comments(text: str) -> str:
    """The documents annotate JSON with `// ...` lines; everything else is kept as written."""
    return "\n".join(line for line in text.splitlines() if not line.strip().startswith("//"))


def doc_json(name: str) -> Any:
    return json.loads(strip_comments(doc_text(name)))


def wannabot_doc_history() -> bytes:
    """The documented history array, with its `{...}` placeholder filled by the documented TEXT block."""
    text = strip_comments(doc_text("wannabot_history.jsonc"))
    interaction = strip_comments(doc_text("wannabot_text_interaction.jsonc"))
    return re.sub(r"\{\.\.\.\}", lambda _: interaction, text).encode()


def stage(
    store: DataStore,
    vendor: str,
    day: str,
    account: str,
    files: dict[str, tuple[bytes, dict[str, Any]]],
    notes: dict[str, Any] | None = None,
    tz: str = "America/Bogota",
) -> NormalizeInput:
    with store.raw_fetch(vendor, day, account, {"test": True}) as fetch:
        for name, (data, info) in files.items():
            fetch.add(name, data, **info)
        fetch.note(**(notes or {}))
    return NormalizeInput(store, vendor, day, account, store.raw_manifest(vendor, day, account) or {}, tz)
