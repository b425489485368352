"""Sentiment of customer and agent messages: offline, deterministic, shipped inside the package.

`get_scorer()` returns the configured backend: the lexicon-and-rules engine (default), or a
locally installed transformer model when CHAT_ASSETS_SENTIMENT_MODEL points at its folder.
"""

from chat_assets.sentiment.backends import Scorer, get_scorer, label_of
from chat_assets.sentiment.lexicon_engine import LexiconScorer

__all__ = ["LexiconScorer", "Scorer", "get_scorer", "label_of"]
