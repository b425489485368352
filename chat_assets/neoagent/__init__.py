"""Neoagent: chat history per chatbot serial number, UTC date ranges, about 10 requests a minute."""
