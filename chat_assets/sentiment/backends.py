"""Scorer backends and the label thresholds.

The default backend is the lexicon engine. Setting CHAT_ASSETS_SENTIMENT_MODEL to the folder of a
locally installed transformer classifier (for example a pysentimiento / RoBERTuito model saved on
disk) makes the scorer use it when the folder is there: it is loaded from disk only, with the
Hugging Face libraries forced offline, so nothing is ever downloaded. A missing folder falls back
to the lexicon with a warning; a folder present without `transformers` installed is a clear error.

Labels (documented in the README): score >= 0.05 positive, <= -0.05 negative, else neutral.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from chat_assets.errors import ConfigError

if TYPE_CHECKING:
    from chat_assets.sentiment.lexicon_engine import LexiconScorer

log = logging.getLogger("chat_assets.sentiment")
POSITIVE_AT, NEGATIVE_AT = 0.05, -0.05
LABELS = ("negative", "neutral", "positive")


def label_of(score: float | None) -> str | None:
    if score is None:
        return None
    if score >= POSITIVE_AT:
        return "positive"
    if score <= NEGATIVE_AT:
        return "negative"
    return "neutral"


class Scorer(Protocol):
    name: str

    def score_many(self, texts: Iterable[str | None]) -> list[float | None]: ...


def _polarity(label: str) -> str | None:
    text = label.lower()
    if text.startswith("pos") or text in ("label_2", "5 stars", "4 stars"):
        return "positive"
    if text.startswith("neg") or text in ("label_0", "1 star", "2 stars"):
        return "negative"
    if text.startswith("neu") or text in ("label_1", "3 stars"):
        return "neutral"
    return None


class TransformerScorer:
    """A local text-classification model; score = P(positive) - P(negative)."""

    def __init__(self, folder: Path, batch_size: int = 64):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import transformers
        except ImportError:
            raise ConfigError(
                f"CHAT_ASSETS_SENTIMENT_MODEL points at {folder}, but the `transformers` package is not installed; "
                "install it (pip install transformers torch) or unset the variable to use the lexicon scorer."
            ) from None
        self.name = f"transformer:{folder.name}"
        self.batch_size = batch_size
        self.pipeline = transformers.pipeline(
            "text-classification", model=str(folder), tokenizer=str(folder), top_k=None, local_files_only=True
        )

    def score_many(self, texts: Iterable[str | None]) -> list[float | None]:
        items = list(texts)
        present = [i for i, t in enumerate(items) if t]
        out: list[float | None] = [None if t is None else 0.0 for t in items]
        for start in range(0, len(present), self.batch_size):
            chunk = present[start : start + self.batch_size]
            results = self.pipeline([items[i] for i in chunk], truncation=True)
            for index, scores in zip(chunk, results, strict=True):
                probs = {_polarity(s["label"]): float(s["score"]) for s in scores}
                out[index] = probs.get("positive", 0.0) - probs.get("negative", 0.0)
        return out


@lru_cache(maxsize=4)
def _scorer_for(model: str | None) -> Scorer:
    if model:
        folder = Path(model)
        if folder.is_dir():
            return TransformerScorer(folder)
        log.warning(
            "CHAT_ASSETS_SENTIMENT_MODEL=%s is not a folder on this machine; using the lexicon scorer", model
        )
    from chat_assets.sentiment.lexicon_engine import LexiconScorer

    return LexiconScorer()


def lexicon_scorer() -> LexiconScorer:
    """The lexicon engine (one per process): it also reads complaints, whatever scores sentiment."""
    from chat_assets.sentiment.lexicon_engine import LexiconScorer

    scorer = _scorer_for(None)
    assert isinstance(scorer, LexiconScorer)
    return scorer


def get_scorer(model: str | None = None) -> Scorer:
    """The configured scorer (one instance per process and setting)."""
    return _scorer_for(
        model if model is not None else (os.environ.get("CHAT_ASSETS_SENTIMENT_MODEL") or None)
    )
