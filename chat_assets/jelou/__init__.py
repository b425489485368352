"""Jelou: paginated message history per bot, no conversation ids (we sessionize)."""
