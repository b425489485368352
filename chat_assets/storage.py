"""Where bytes live: raw vendor payloads with manifests, and the Parquet warehouse.

Layout (DESIGN.md, under CHAT_ASSETS_DATA_DIR, a local path or an fsspec URL):

    raw/<provider>/<day>/<account>/...        bytes exactly as received + manifest.json
    raw/_failed/<provider>/<day>/<account>/<stamp>/   bytes of an attempt that failed, kept
    inbox/wannabot/*.csv                      Wannabot session registry
    warehouse/<table>/date=<day>/<provider>.parquet

Rules kept here and nowhere else:
- every file write is atomic (write beside, then rename), so a crash never leaves half a file;
- a raw fetch is staged and promoted as a whole only when it completed, so a failed run never
  touches the last good fetch of that day, and its own bytes are kept under `raw/_failed/`;
- a warehouse partition file is replaced exactly (same input, same bytes);
- manifests are redacted before they are written, whatever the caller put in them.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
from fsspec.implementations.local import LocalFileSystem

from chat_assets import schemas
from chat_assets.errors import NotReadyError, VendorError

MANIFEST = "manifest.json"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class DataStore:
    """The data directory. Paths given to and returned by it are relative to its root."""

    def __init__(self, root: str, redact: Callable[[str], str] | None = None):
        self.root_url = root
        self.fs, base = fsspec.core.url_to_fs(root)
        if isinstance(self.fs, LocalFileSystem):
            base = os.path.abspath(base)
        self.base = base.rstrip("/")
        self.redact = redact or (lambda text: text)

    # -- generic, atomic file operations -------------------------------------------------
    @property
    def is_local(self) -> bool:
        return isinstance(self.fs, LocalFileSystem)

    def abspath(self, rel: str) -> str:
        return f"{self.base}/{rel}" if rel else self.base

    def exists(self, rel: str) -> bool:
        return self.fs.exists(self.abspath(rel))

    def read_bytes(self, rel: str) -> bytes:
        if self.is_local:  # the hot path of normalizers reading thousands of small pages
            with open(self.abspath(rel), "rb") as handle:
                return handle.read()
        return self.fs.cat_file(self.abspath(rel))

    def write_bytes(self, rel: str, data: bytes) -> None:
        """Write `data` to `rel` atomically: readers see the old file or the new one, never half."""
        final = self.abspath(rel)
        parent = final.rsplit("/", 1)[0]
        self.fs.makedirs(parent, exist_ok=True)
        tmp = f"{parent}/.{final.rsplit('/', 1)[1]}.{uuid.uuid4().hex}.tmp"
        try:
            with self.fs.open(tmp, "wb") as handle:
                handle.write(data)
                if self.is_local:
                    handle.flush()
                    os.fsync(handle.fileno())
            self._rename_file(tmp, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError, OSError):
                self.fs.rm_file(tmp)
            raise

    def _rename_file(self, src: str, dst: str) -> None:
        if self.is_local:
            os.replace(src, dst)
        else:
            self.fs.mv(src, dst)

    def list_files(self, rel: str) -> list[str]:
        """Files directly under `rel` (relative paths), sorted; [] when the folder is absent."""
        path = self.abspath(rel)
        if not self.fs.isdir(path):
            return []
        out = []
        for entry in self.fs.ls(path, detail=True):
            if entry["type"] == "file":
                out.append(f"{rel}/{entry['name'].rstrip('/').rsplit('/', 1)[1]}")
        return sorted(out)

    def list_dirs(self, rel: str) -> list[str]:
        path = self.abspath(rel)
        if not self.fs.isdir(path):
            return []
        names = [
            entry["name"].rstrip("/").rsplit("/", 1)[1]
            for entry in self.fs.ls(path, detail=True)
            if entry["type"] == "directory"
        ]
        return sorted(name for name in names if not name.startswith((".", "_")))

    def _replace_dir(self, staging: str, final: str) -> None:
        """Put the folder `staging` at `final`, replacing what was there."""
        if self.is_local:
            os.makedirs(os.path.dirname(final), exist_ok=True)
            trash = None
            if os.path.exists(final):
                trash = f"{os.path.dirname(final)}/.trash-{uuid.uuid4().hex}"
                os.rename(final, trash)
            os.rename(staging, final)
            if trash:
                self.fs.rm(trash, recursive=True)
            return
        if self.fs.exists(final):
            self.fs.rm(final, recursive=True)
        for src in self.fs.find(staging):
            self.fs.mv(src, final + src[len(staging):])
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm(staging, recursive=True)

    # -- raw ---------------------------------------------------------------------------
    @staticmethod
    def raw_dir(provider: str, day: str, account: str) -> str:
        return f"raw/{provider}/{day}/{account}"

    def raw_manifest(self, provider: str, day: str, account: str) -> dict[str, Any] | None:
        rel = f"{self.raw_dir(provider, day, account)}/{MANIFEST}"
        if not self.exists(rel):
            return None
        return json.loads(self.read_bytes(rel))

    def raw_is_complete(self, provider: str, day: str, account: str) -> bool:
        """A complete fetch made after its day was over (an intraday fetch is refreshed later)."""
        manifest = self.raw_manifest(provider, day, account)
        return bool(manifest and manifest.get("complete") and manifest.get("notes", {}).get("day_closed", True))

    def raw_accounts(self, provider: str, day: str) -> list[str]:
        return self.list_dirs(f"raw/{provider}/{day}")

    def raw_fetch(
        self,
        provider: str,
        day: str,
        account: str,
        request: dict[str, Any],
        redact: Callable[[str], str] | None = None,
        keep_existing: bool = False,
    ) -> RawFetch:
        return RawFetch(self, provider, day, account, request, redact=redact, keep_existing=keep_existing)

    @staticmethod
    def failed_dir(provider: str, day: str, account: str) -> str:
        """Where the bytes of a failed attempt are kept, one folder per attempt (UTC stamp)."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        return f"raw/_failed/{provider}/{day}/{account}/{stamp}"

    def keep_failed(self, provider: str, day: str, account: str, name: str, data: bytes) -> str:
        """Keep a payload that failed outside a RawFetch (judged after receipt); returns its absolute path."""
        rel = f"{self.failed_dir(provider, day, account)}/{name}"
        self.write_bytes(rel, data)
        return self.abspath(rel)

    def write_shared(self, provider: str, account: str, name: str, data: bytes) -> str:
        """Keep a payload that serves several days once, content-addressed, never overwritten.

        Used where one vendor answer covers a range of days (Neoagent): each day's manifest
        references the file instead of holding a copy.
        """
        digest = hashlib.sha256(data).hexdigest()
        stem, dot, ext = name.rpartition(".")
        rel = f"raw/{provider}/_ranges/{account}/{stem}-{digest[:12]}{dot}{ext}"
        if not self.exists(rel):
            self.write_bytes(rel, data)
        return rel

    # -- warehouse ---------------------------------------------------------------------
    @staticmethod
    def table_path(table: str, day: str, provider: str) -> str:
        return f"warehouse/{table}/date={day}/{provider}.parquet"

    def write_table(self, table: str, day: str, provider: str, data: pa.Table) -> str:
        """Validate against the canonical schema and replace the partition file atomically."""
        data = schemas.conform(table, data) if table in schemas.TABLES else data
        buffer = io.BytesIO()
        pq.write_table(data, buffer, compression="zstd")
        rel = self.table_path(table, day, provider)
        self.write_bytes(rel, buffer.getvalue())
        return rel

    def read_table(self, table: str, day: str, provider: str | None = None) -> pa.Table | None:
        """One provider's partition, or all providers' files of that day concatenated."""
        if provider is not None:
            rel = self.table_path(table, day, provider)
            return pq.read_table(io.BytesIO(self.read_bytes(rel))) if self.exists(rel) else None
        files = [f for f in self.list_files(f"warehouse/{table}/date={day}") if f.endswith(".parquet")]
        if not files:
            return None
        return pa.concat_tables([pq.read_table(io.BytesIO(self.read_bytes(f))) for f in files])


class RawFetch:
    """One account-day fetch, staged until it completes.

    Use as a context manager: files are added as they arrive (bytes exactly as received); on a
    clean exit the manifest is written with `complete: true` and the folder replaces the day's
    previous fetch; on an exception the attempt is kept under `raw/_failed/...` with a manifest
    saying why, the previous fetch stays untouched, and a `VendorError` learns where the bytes are.
    """

    def __init__(
        self,
        store: DataStore,
        provider: str,
        day: str,
        account: str,
        request: dict[str, Any],
        redact: Callable[[str], str] | None = None,
        keep_existing: bool = False,
    ):
        self.store = store
        self.redact = redact or store.redact
        self.provider, self.day, self.account = provider, day, account
        self.request = request
        self.final_rel = store.raw_dir(provider, day, account)
        self.staging_rel = f"raw/_staging/{provider}-{day}-{account}-{uuid.uuid4().hex}"
        self.files: list[dict[str, Any]] = []
        self.notes: dict[str, Any] = {}
        self.started_at = _now()
        self.manifest: dict[str, Any] | None = None
        self.kept_at: str | None = None
        self.existing: dict[str, dict[str, Any]] = {}
        if keep_existing:
            previous = store.raw_manifest(provider, day, account)
            if previous and previous.get("complete"):
                for entry in previous.get("files", []):
                    if "path" not in entry:  # a file of this folder, carried over by the promotion
                        self.existing[entry["name"]] = entry

    def __enter__(self) -> RawFetch:
        if self.existing:
            for name in self.existing:
                self.store.write_bytes(f"{self.staging_rel}/{name}", self.store.read_bytes(f"{self.final_rel}/{name}"))
            self.files.extend(self.existing.values())
        return self

    def reference(self, rel: str, **info: Any) -> str:
        """Record a shared file (see `DataStore.write_shared`) as part of this fetch."""
        data = self.store.read_bytes(rel)
        self.files.append({"name": rel.rsplit("/", 1)[1], "path": rel, "bytes": len(data),
                           "sha256": hashlib.sha256(data).hexdigest(), **info})
        return rel

    def add(self, name: str, data: bytes, **info: Any) -> str:
        """Keep `data` as file `name`; returns the path it will have once promoted (for raw_ref)."""
        if "/" in name or name == MANIFEST or name.startswith((".", "_")):
            raise ValueError(f"bad raw file name {name!r}")
        self.store.write_bytes(f"{self.staging_rel}/{name}", data)
        self.files.append(
            {"name": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), **info}
        )
        return f"{self.final_rel}/{name}"

    def note(self, **notes: Any) -> None:
        self.notes.update(notes)

    def _manifest(self, complete: bool, error: str | None) -> dict[str, Any]:
        records = [f.get("records") for f in self.files if f.get("records") is not None]
        return {
            "provider": self.provider,
            "account": self.account,
            "day": self.day,
            "complete": complete,
            "started_at": self.started_at,
            "finished_at": _now(),
            "request": self.request,
            "files": self.files,
            "n_files": len(self.files),
            "bytes": sum(f["bytes"] for f in self.files),
            "records": sum(records) if records else 0,
            "notes": self.notes,
            "error": error,
        }

    def _write_manifest(self, manifest: dict[str, Any]) -> None:
        text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True, default=str)
        self.store.write_bytes(f"{self.staging_rel}/{MANIFEST}", self.redact(text).encode("utf-8"))

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if exc is None:
            self.manifest = self._manifest(True, None)
            self._write_manifest(self.manifest)
            self.store._replace_dir(self.store.abspath(self.staging_rel), self.store.abspath(self.final_rel))
            return
        if isinstance(exc, NotReadyError):
            # Nothing was published yet: there is nothing worth keeping.
            with contextlib.suppress(FileNotFoundError):
                self.store.fs.rm(self.store.abspath(self.staging_rel), recursive=True)
            return
        failed_rel = self.store.failed_dir(self.provider, self.day, self.account)
        self.manifest = self._manifest(False, self.redact(str(exc)))
        with contextlib.suppress(Exception):
            self._write_manifest(self.manifest)
            self.store._replace_dir(self.store.abspath(self.staging_rel), self.store.abspath(failed_rel))
            self.kept_at = failed_rel
            if isinstance(exc, VendorError) and exc.raw_path is None:
                new = [f["name"] for f in self.files if f["name"] not in self.existing and "path" not in f]
                exc.with_raw_path(self.store.abspath(f"{failed_rel}/{new[-1]}" if new else failed_rel))
