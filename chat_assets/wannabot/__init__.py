"""Wannabot: history per session id only; sessions come from a registry folder (inbox/wannabot)."""
