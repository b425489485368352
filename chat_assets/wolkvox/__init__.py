"""Wolkvox: the `chat_2` conversations report of reports_manager, one token, one caller at a time."""
