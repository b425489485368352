"""Storage: atomic writes, exact replacement, staged raw fetches, redacted manifests, fsspec URLs."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pyarrow as pa
import pytest

from chat_assets import schemas
from chat_assets.errors import NotReadyError, PayloadError, SchemaError
from chat_assets.storage import DataStore


def messages(n: int = 2) -> pa.Table:
    rows = [
        {
            "provider": "wolkvox",
            "account": "0042",
            "conversation_id": "c1",
            "message_id": f"c1:{i}",
            "seq": i,
            "sent_at": None,
            "sender_role": "customer",
            "sender_id": None,
            "sender_name": None,
            "customer_id": None,
            "customer_name": None,
            "agent_name": None,
            "channel": "web",
            "content_type": "text",
            "text": f"hola {i}",
            "is_fallback": False,
            "provider_sentiment": None,
            "sentiment": None,
            "raw_ref": "raw/x#0",
        }
        for i in range(n)
    ]
    return pa.Table.from_pylist(rows, schema=schemas.MESSAGES)


def test_interrupted_write_leaves_the_previous_file_intact(
    store: DataStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write_bytes("warehouse/t/file.bin", b"the good version")

    class Boom(Exception):
        pass

    real_open = store.fs.open

    def failing_open(path, mode="rb", **kw):  # type: ignore[no-untyped-def]
        handle = real_open(path, mode, **kw)
        if "w" in mode:
            handle.write(b"half of the new")
            raise Boom()
        return handle

    monkeypatch.setattr(store.fs, "open", failing_open)
    with pytest.raises(Boom):
        store.write_bytes("warehouse/t/file.bin", b"the new version, never finished")
    monkeypatch.undo()
    assert store.read_bytes("warehouse/t/file.bin") == b"the good version"
    assert store.list_files("warehouse/t") == ["warehouse/t/file.bin"]  # no temp file left behind


def test_table_rewrite_replaces_exactly_with_identical_bytes(store: DataStore) -> None:
    rel = store.write_table("messages", "2025-10-01", "wolkvox", messages(3))
    first = store.read_bytes(rel)
    store.write_table("messages", "2025-10-01", "wolkvox", messages(3))
    assert store.read_bytes(rel) == first
    store.write_table("messages", "2025-10-01", "wolkvox", messages(1))
    assert store.read_table("messages", "2025-10-01", "wolkvox").num_rows == 1
    assert rel == "warehouse/messages/date=2025-10-01/wolkvox.parquet"


def test_empty_table_keeps_the_full_schema(store: DataStore) -> None:
    store.write_table("messages", "2025-10-02", "jelou", schemas.empty("messages"))
    table = store.read_table("messages", "2025-10-02", "jelou")
    assert table.num_rows == 0 and table.schema.names == schemas.MESSAGES.names


def test_a_day_written_before_a_column_was_added_reads_with_nulls(store: DataStore) -> None:
    """`messages.complaint` came after days were stored: those days read with it as nulls."""
    import io

    import pyarrow.parquet as pq

    old = messages(2).drop_columns(["complaint"])
    buffer = io.BytesIO()
    pq.write_table(old, buffer)
    store.write_bytes("warehouse/messages/date=2025-09-01/wolkvox.parquet", buffer.getvalue())
    whole = store.read_table("messages", "2025-09-01", "wolkvox")
    assert whole.schema.names == schemas.MESSAGES.names
    assert whole.column("complaint").to_pylist() == [None, None]
    some = store.read_table("messages", "2025-09-01", columns=["conversation_id", "complaint"])
    assert some.column_names == ["conversation_id", "complaint"] and some.column("complaint").null_count == 2
    with pytest.raises(SchemaError, match="column 'raw_ref': missing"):
        schemas.with_added_columns("messages", old.drop_columns(["raw_ref"]))


def test_schema_validator_names_the_offending_column() -> None:
    bad = messages().drop_columns(["raw_ref"])
    with pytest.raises(SchemaError, match="column 'raw_ref': missing"):
        schemas.conform("messages", bad)
    worse = messages().set_column(0, "provider", pa.array([None, "x"], pa.string()))
    with pytest.raises(SchemaError, match="column 'provider': 1 null value"):
        schemas.conform("messages", worse)
    with pytest.raises(SchemaError, match="column 'provider': values outside the vocabulary: \\['acme'\\]"):
        schemas.validate_messages(messages().set_column(0, "provider", pa.array(["acme", "wolkvox"])))
    assert schemas.outside_vocabulary(
        messages().set_column(6, "sender_role", pa.array(["robot", "bot"])),
        "sender_role",
        schemas.SENDER_ROLES,
    ) == ["robot"]


def test_raw_fetch_promotes_whole_and_records_the_manifest(store: DataStore) -> None:
    with store.raw_fetch("jelou", "2025-10-01", "bot-1", {"url": "https://x/?k=***"}) as fetch:
        ref = fetch.add("page-0001.json", b'{"results": []}', status=200, records=0)
        fetch.note(pages=1)
    assert ref == "raw/jelou/2025-10-01/bot-1/page-0001.json"
    manifest = store.raw_manifest("jelou", "2025-10-01", "bot-1")
    assert manifest["complete"] is True and manifest["notes"] == {"pages": 1}
    entry = manifest["files"][0]
    assert entry["bytes"] == 15 and len(entry["sha256"]) == 64 and entry["status"] == 200
    assert store.raw_accounts("jelou", "2025-10-01") == ["bot-1"]


def test_failed_fetch_keeps_its_bytes_and_never_touches_the_last_good_one(store: DataStore) -> None:
    with store.raw_fetch("jelou", "2025-10-01", "bot-1", {}) as fetch:
        fetch.add("page-0001.json", b'{"good": true}')
    with pytest.raises(PayloadError) as caught, store.raw_fetch("jelou", "2025-10-01", "bot-1", {}) as fetch:
        fetch.add("page-0001.json", b"<html>maintenance</html>")
        raise PayloadError("jelou", "bot-1", "2025-10-01", "not JSON")
    assert store.read_bytes("raw/jelou/2025-10-01/bot-1/page-0001.json") == b'{"good": true}'
    kept = caught.value.raw_path
    assert kept and "/raw/_failed/jelou/2025-10-01/bot-1/" in kept
    with open(kept, "rb") as handle:
        assert handle.read() == b"<html>maintenance</html>"
    assert "Raw bytes kept at:" in str(caught.value)
    failed_manifest = json.loads(Path(kept).with_name("manifest.json").read_text())
    assert failed_manifest["complete"] is False and "not JSON" in failed_manifest["error"]


def test_not_ready_stores_nothing(store: DataStore) -> None:
    with pytest.raises(NotReadyError), store.raw_fetch("multichat", "2025-10-05", "57300", {}) as fetch:
        fetch.add("report-conversaciones.json", b'{"code": -1}')
        raise NotReadyError("multichat", "57300", "2025-10-05", "not yet")
    assert not store.exists("raw/multichat")
    assert store.list_dirs("raw/_failed") == []


def test_manifest_is_redacted_whatever_the_caller_put_in_it(store: DataStore) -> None:
    secret = "sk-" + uuid.uuid4().hex
    with store.raw_fetch(
        "neoagent", "2025-10-01", "s1", {"header": secret}, redact=lambda t: t.replace(secret, "***")
    ):
        pass
    text = store.read_bytes("raw/neoagent/2025-10-01/s1/manifest.json").decode()
    assert secret not in text and '"header": "***"' in text


@pytest.mark.parametrize("root", ["memory://chat-assets-test", "file://{tmp}/data"])
def test_store_works_on_fsspec_urls(root: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = DataStore(root.format(tmp=tmp_path) + f"-{uuid.uuid4().hex[:6]}")
    with store.raw_fetch("wolkvox", "2025-10-01", "0042", {}) as fetch:
        fetch.add("window.json", b"{}")
    assert store.raw_is_complete("wolkvox", "2025-10-01", "0042")
    store.write_table("messages", "2025-10-01", "wolkvox", messages(2))
    store.write_table("messages", "2025-10-01", "wolkvox", messages(4))
    assert store.read_table("messages", "2025-10-01").num_rows == 4


def test_many_fetches_at_once_never_trip_over_each_others_staging(store: DataStore) -> None:
    """Account-days are fetched in parallel: one fetch's sweep must not fail on another's promoted folder."""
    from concurrent.futures import ThreadPoolExecutor

    def fetch(n: int) -> None:
        day = f"2025-10-{1 + n % 28:02d}"
        for attempt in range(3):  # the second and third replace the first: the trash path too
            with store.raw_fetch("jelou", day, f"bot-{n}", {"attempt": attempt}) as f:
                f.add("page-0001.json", b'{"n": %d}' % n)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(fetch, range(48)))
    for n in range(48):
        manifest = store.raw_manifest("jelou", f"2025-10-{1 + n % 28:02d}", f"bot-{n}")
        assert manifest is not None and manifest["complete"]


def test_sweep_ignores_a_folder_that_vanished_after_listing(store: DataStore, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with store.raw_fetch("jelou", "2025-10-01", "bot", {}) as f:
        f.add("page-0001.json", b"{}")
    ghost = store.abspath("raw/_staging/0123456789abcdef")
    real_ls = store.fs.ls
    monkeypatch.setattr(
        store.fs,
        "ls",
        lambda path, detail=True: [*real_ls(path, detail=True), {"name": ghost, "type": "directory"}],
    )
    assert store.sweep_staging() == 0


@pytest.mark.parametrize("size", [None, -1, 0, 5, 11, 12, 10_000])
def test_read_bytes_gives_the_whole_file_whatever_size_the_manifest_claims(
    tmp_path: Path, size: int | None
) -> None:
    """The recorded size only saves a call: a file longer or shorter than recorded is still read whole."""
    store = DataStore(str(tmp_path / "data"))
    store.write_bytes("raw/x/page.json", b'{"a": "b"}\n')
    assert store.read_bytes("raw/x/page.json", size) == b'{"a": "b"}\n'
