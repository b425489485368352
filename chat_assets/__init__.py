"""chat_assets: every chatbot and contact-center conversation, from five vendors, as Dagster assets.

Shared mechanisms live in the top-level modules, each rule in one place (settings, config,
partitions, storage, schemas, http, ratelimit, errors, the raw and normalized asset factories);
each vendor's whole story lives in its own folder (client, assets, normalizer, cadence,
simulator) and ends in its own `Definitions` (`<vendor>/defs.py`). `vendors.py` lists the
vendors; `definitions.py` merges the configured ones into the Dagster code location.
"""
