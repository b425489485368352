"""chat_assets: every chatbot and contact-center conversation, from five vendors, as Dagster assets.

Shared mechanisms live in the top-level modules (config, partitions, storage, schemas, http,
ratelimit, errors, raw_fetch); each vendor's whole story lives in its own folder (client,
raw asset, normalizer, cadence, simulator). `vendors.py` is the one place vendors are
registered; `definitions.py` turns that registry into the Dagster code location.
"""
