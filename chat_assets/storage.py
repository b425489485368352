"""Where bytes live: raw vendor payloads with manifests, and the Parquet warehouse.

Layout (DESIGN.md, under CHAT_ASSETS_DATA_DIR, a local path or an fsspec URL):

    raw/<provider>/<day>/<account>/...        bytes exactly as received + manifest.json
    raw/_failed/<provider>/<day>/<account>/<stamp>/   bytes of an attempt that failed, kept
    inbox/wannabot/*.csv                      Wannabot session registry
    warehouse/<table>/date=<day>/<provider>.parquet

Rules kept here and nowhere else:
- every path is built from checked components: a vendor-given or configured name (account, bot
  id, session id, zip member, download name) becomes one component by a reversible encoding
  (`component`), days must be real days, and every path is resolved under the data dir before any
  read, write, rename or delete (`DataStore.abspath`);
- every file write is atomic (write beside, then rename), so a crash never leaves half a file;
- a raw fetch is staged and promoted as a whole only when it completed, so a failed run never
  touches the last good fetch of that day, and its own bytes are kept under `raw/_failed/`;
- a warehouse partition file is replaced exactly (same input, same bytes);
- manifests are redacted before they are written, whatever the caller put in them;
- a promotion never leaves a window where an account's day is missing: on a local disk the new
  folder and the old one are exchanged in one `renameat2(RENAME_EXCHANGE)`, under a per-(vendor,
  day, account) lock; on an object store (no rename) each fetch's files go to their own version
  folder (`files_dir` in the manifest, e.g. raw/<provider>/<day>/<account>/v-1a2b.../), the
  manifest is written last as one object (the commit), and the old version's files are deleted
  only after it, so a reader or a killed run sees the old complete version or the new one;
- a staging or trash folder whose owner died (a killed run) is swept by the next fetch.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import hashlib
import io
import json
import os
import re
import string
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
from fsspec.implementations.local import LocalFileSystem

from chat_assets import schemas
from chat_assets.errors import NotReadyError, VendorError

MANIFEST = "manifest.json"
STAGING = "raw/_staging"
_SAFE = frozenset(string.ascii_letters + string.digits + "._-")
_ESCAPE = re.compile(r"~([0-9A-F]{2})")
MAX_COMPONENT = 180


#: Path parts that would name the folder itself or its parent (or come from a doubled "/").
_NOT_PARTS = frozenset(("", ".", ".."))


class UnsafePathError(ValueError):
    """A path that would leave the data dir, or a name that cannot be one path component."""


def component(value: object, what: str = "name") -> str:
    """`value` as one safe path component, reversibly (`decode_component`).

    Characters outside `[A-Za-z0-9._-]`, and a leading `.` or `_` (hidden and internal names), are
    written as `~XX` per UTF-8 byte, so `../../warehouse` becomes `~2E.~2F~2E.~2Fwarehouse`:
    never `.`, `..`, a separator or an absolute path. Ids that are already safe stay as they are.
    """
    if not isinstance(value, str) or not value:
        raise UnsafePathError(f"{what} {value!r} is empty or not text and cannot name a file")
    out = []
    for i, ch in enumerate(value):
        if ch in _SAFE and not (i == 0 and ch in "._"):
            out.append(ch)
        else:
            out.append("".join(f"~{b:02X}" for b in ch.encode("utf-8")))
    name = "".join(out)
    if len(name) > MAX_COMPONENT:
        raise UnsafePathError(
            f"{what} {value[:40]!r}... is too long to name a file ({len(value)} characters)"
        )
    return name


def decode_component(name: str) -> str:
    """The name `component` encoded, back as it was."""
    if "~" not in name:
        return name
    out = bytearray()
    i = 0
    while i < len(name):
        if name[i] == "~" and _ESCAPE.match(name, i):
            out.append(int(name[i + 1 : i + 3], 16))
            i += 3
        else:
            out.extend(name[i].encode("utf-8"))
            i += 1
    return out.decode("utf-8", errors="replace")


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def check_day(day: object) -> str:
    """A partition key (or a `first..last` range of them) that is a real calendar day."""
    if isinstance(day, str) and ".." in day:
        first, _, last = day.partition("..")
        return f"{check_day(first)}..{check_day(last)}"
    if not isinstance(day, str) or not _DAY.match(day):
        raise UnsafePathError(f"day {day!r} is not YYYY-MM-DD")
    try:
        date.fromisoformat(day)
    except ValueError:
        raise UnsafePathError(f"day {day!r} is not a calendar day") from None
    return day


_RENAME_EXCHANGE = 2
_libc = ctypes.CDLL(None, use_errno=True) if hasattr(ctypes, "CDLL") else None


def exchange_dirs(a: str, b: str) -> bool:
    """Swap two folders atomically (Linux renameat2). False where the system cannot."""
    func = getattr(_libc, "renameat2", None) if _libc is not None else None
    if func is None:
        return False
    if func(-100, os.fsencode(a), -100, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), a)


@contextlib.contextmanager
def file_lock(path: str, blocking: bool = True) -> Iterator[bool]:
    """An exclusive lock on a local lock file (held until the block ends, or the process dies)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _redact_bytes(redact: Callable[[str], str], data: bytes) -> bytes:
    """`data` with every secret `redact` knows replaced; the same object when nothing changed."""
    forms = getattr(redact, "forms", None)
    if forms is not None and not any(form.encode() in data for form in forms):
        return data  # the common case, decided by a byte search
    text = data.decode("utf-8", errors="surrogateescape")
    redacted = redact(text)
    return data if redacted == text else redacted.encode("utf-8", errors="surrogateescape")


#: (bytes, sha256) of the shared files written in this process, by absolute path. Every day of a
#: range references the same answer (`RawFetch.reference`): reading and hashing it again for each
#: day cost the whole answer per day. Safe to keep: a shared file is content-addressed, never rewritten.
_SHARED_FACTS: dict[str, tuple[int, str]] = {}


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
        """The absolute path or URL of `rel`, which must stay inside the data dir."""
        rel = rel.rstrip("/")
        if not rel:
            return self.base
        parts = rel.split("/")
        if rel.startswith("/") or "\\" in rel or "\x00" in rel or not _NOT_PARTS.isdisjoint(parts):
            raise UnsafePathError(f"{rel!r} is not a path inside the data dir")
        full = f"{self.base}/{rel}"
        if self.is_local and not os.path.normpath(full).startswith(self.base + os.sep):
            raise UnsafePathError(f"{rel!r} resolves outside the data dir {self.base}")
        return full

    def exists(self, rel: str) -> bool:
        return self.fs.exists(self.abspath(rel))

    def read_bytes(self, rel: str, size: int | None = None) -> bytes:
        """The file's bytes; `size` (what its manifest recorded) lets a local read take one call.

        Local files are the hot path of normalizers reading thousands of small pages: with the
        size known, one `read` of size + 1 bytes that returns exactly `size` has read the file
        (a Python file object also asked for its size and read once more to see the end: a third
        of Wannabot's reading time). Any other answer reads on to the end, as without a size.
        """
        if not self.is_local:
            return self.fs.cat_file(self.abspath(rel))
        fd = os.open(self.abspath(rel), os.O_RDONLY | os.O_CLOEXEC)
        try:
            if isinstance(size, int) and size >= 0:
                data = os.read(fd, size + 1)
                if len(data) == size:
                    return data
                parts = [data]
            else:
                parts = []
            while chunk := os.read(fd, 1 << 24):
                parts.append(chunk)
            return b"".join(parts)
        finally:
            os.close(fd)

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

    def lock_path(self, rel: str) -> str:
        """The lock file that serializes writers of `rel` (local data dirs)."""
        return self.abspath(f"{STAGING}/locks/{hashlib.sha256(rel.encode()).hexdigest()[:32]}.lock")

    @contextlib.contextmanager
    def locked(self, rel: str) -> Iterator[None]:
        """One writer at a time for `rel` across processes (a no-op on object stores: see DESIGN)."""
        if not self.is_local:
            yield
            return
        with file_lock(self.lock_path(rel)):
            yield

    def _replace_dir(self, staging_rel: str, final_rel: str, files_dir: str | None = None) -> None:
        """Put the folder `staging_rel` at `final_rel`, replacing what was there, with no window
        where `final_rel` is missing or half-written for a reader (on object stores its files go
        under `final_rel/files_dir`, which the manifest names)."""
        staging, final = self.abspath(staging_rel), self.abspath(final_rel)
        with self.locked(final_rel):
            if self.is_local:
                os.makedirs(os.path.dirname(final), exist_ok=True)
                if not os.path.exists(final):
                    os.rename(staging, final)
                    return
                if exchange_dirs(staging, final):  # the old version now sits at `staging`
                    with contextlib.suppress(FileNotFoundError):  # a concurrent sweep may take it first
                        self.fs.rm(staging, recursive=True)
                    return
                trash = self.abspath(f"{STAGING}/trash-{uuid.uuid4().hex}")
                os.rename(final, trash)  # systems without renameat2: a window of one rename
                os.rename(staging, final)
                with contextlib.suppress(FileNotFoundError):
                    self.fs.rm(trash, recursive=True)
                return
            # Object stores: new files into their own version folder (never over a file the current
            # manifest lists), then the manifest as one object (the commit), then the old files.
            old = set(self.fs.find(final)) if self.fs.exists(final) else set()
            new = list(self.fs.find(staging))
            manifest = [src for src in new if src == f"{staging}/{MANIFEST}"]
            files_root = f"{final}/{files_dir}" if files_dir else final
            for src in [src for src in new if src not in manifest]:
                dst = files_root + src[len(staging) :]
                self.fs.copy(src, dst)
                old.discard(dst)
            for src in manifest:
                self.fs.copy(src, f"{final}/{MANIFEST}")
                old.discard(f"{final}/{MANIFEST}")
            for leftover in old:
                with contextlib.suppress(FileNotFoundError):
                    self.fs.rm_file(leftover)
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm(staging, recursive=True)

    def sweep_staging(self) -> int:
        """Remove staging and trash folders whose owner died (its lock is free); returns how many."""
        if not self.is_local or not self.fs.isdir(self.abspath(STAGING)):
            return 0
        swept = 0
        for entry in self.fs.ls(self.abspath(STAGING), detail=True):
            name = entry["name"].rstrip("/").rsplit("/", 1)[1]
            if entry["type"] != "directory" or name == "locks":
                continue
            with file_lock(self.abspath(f"{STAGING}/locks/{name}.lock"), blocking=False) as free:
                if free:
                    # Its owner may have just promoted it (renamed away) or be removing its trash:
                    # gone is what a sweep wants.
                    with contextlib.suppress(FileNotFoundError):
                        self.fs.rm(entry["name"], recursive=True)
                        swept += 1
        return swept

    # -- raw ---------------------------------------------------------------------------
    @staticmethod
    def raw_dir(provider: str, day: str, account: str) -> str:
        return f"raw/{component(provider, 'vendor')}/{check_day(day)}/{component(account, 'account')}"

    def raw_manifest(self, provider: str, day: str, account: str) -> dict[str, Any] | None:
        rel = f"{self.raw_dir(provider, day, account)}/{MANIFEST}"
        if not self.exists(rel):
            return None
        return json.loads(self.read_bytes(rel))

    @staticmethod
    def raw_file(raw_dir: str, manifest: dict[str, Any], entry: dict[str, Any]) -> str:
        """Where a manifest entry's bytes are: a shared file, the version folder, or the day folder."""
        if entry.get("path"):
            return str(entry["path"])
        files_dir = manifest.get("files_dir")
        return f"{raw_dir}/{files_dir}/{entry['name']}" if files_dir else f"{raw_dir}/{entry['name']}"

    def raw_is_complete(self, provider: str, day: str, account: str) -> bool:
        """A complete fetch made after its day was over (an intraday fetch is refreshed later)."""
        manifest = self.raw_manifest(provider, day, account)
        return bool(
            manifest and manifest.get("complete") and manifest.get("notes", {}).get("day_closed", True)
        )

    def raw_accounts(self, provider: str, day: str) -> list[str]:
        """The accounts stored for a day, as the vendor or the configuration names them."""
        return [decode_component(name) for name in self.list_dirs(f"raw/{provider}/{check_day(day)}")]

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
        stamp = f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}-{uuid.uuid4().hex[:6]}"
        return f"raw/_failed/{component(provider)}/{check_day(day)}/{component(account, 'account')}/{stamp}"

    def keep_failed(
        self,
        provider: str,
        day: str,
        account: str,
        name: str,
        data: bytes,
        redact: Callable[[str], str] | None = None,
    ) -> str:
        """Keep a payload that failed outside a RawFetch (judged after receipt); returns its absolute path."""
        rel = f"{self.failed_dir(provider, day, account)}/{component(name, 'file name')}"
        self.write_bytes(rel, _redact_bytes(redact or self.redact, data))
        return self.abspath(rel)

    def write_shared(
        self,
        provider: str,
        account: str,
        name: str,
        data: bytes,
        redact: Callable[[str], str] | None = None,
    ) -> str:
        """Keep a payload that serves several days once, content-addressed, never overwritten.

        Used where one vendor answer covers a range of days (Neoagent, Wolkvox): each day's manifest
        references the file instead of holding a copy. A credential the vendor echoed is replaced by
        `***` first, as in a fetch's own files.
        """
        if redact is not None:
            data = _redact_bytes(redact, data)
        digest = hashlib.sha256(data).hexdigest()
        stem, dot, ext = name.rpartition(".")
        rel = f"raw/{component(provider)}/_ranges/{component(account, 'account')}/{component(f'{stem}-{digest[:12]}{dot}{ext}')}"
        if not self.exists(rel):
            self.write_bytes(rel, data)
        _SHARED_FACTS[self.abspath(rel)] = (len(data), digest)
        return rel

    # -- warehouse ---------------------------------------------------------------------
    @staticmethod
    def table_path(table: str, day: str, provider: str) -> str:
        return f"warehouse/{component(table)}/date={check_day(day)}/{component(provider)}.parquet"

    def write_table(self, table: str, day: str, provider: str, data: pa.Table) -> str:
        """Validate against the canonical schema and replace the partition file atomically."""
        data = schemas.conform(table, data) if table in schemas.TABLES else data
        buffer = io.BytesIO()
        pq.write_table(data, buffer, compression="zstd")
        rel = self.table_path(table, day, provider)
        self.write_bytes(rel, buffer.getvalue())
        return rel

    def read_table(
        self, table: str, day: str, provider: str | None = None, columns: list[str] | None = None
    ) -> pa.Table | None:
        """One provider's partition, or all providers' files of that day concatenated."""
        if provider is not None:
            rel = self.table_path(table, day, provider)
            if not self.exists(rel):
                return None
            return self._read_parquet(table, rel, columns)
        files = [f for f in self.list_files(f"warehouse/{table}/date={day}") if f.endswith(".parquet")]
        if not files:
            return None
        return pa.concat_tables([self._read_parquet(table, f, columns) for f in files])

    def _read_parquet(self, table: str, rel: str, columns: list[str] | None) -> pa.Table:
        """One file, with the columns added to its table since it was written as nulls."""
        parquet = pq.ParquetFile(io.BytesIO(self.read_bytes(rel)))
        present = parquet.schema_arrow.names
        wanted = None if columns is None else [c for c in columns if c in present]
        data = parquet.read(columns=wanted)
        return schemas.with_added_columns(table, data, columns) if table in schemas.TABLES else data


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
        self.staging_name = uuid.uuid4().hex
        self.staging_rel = f"{STAGING}/{self.staging_name}"
        self._owner: contextlib.ExitStack | None = None
        self.files: list[dict[str, Any]] = []
        self.notes: dict[str, Any] = {}
        self.started_at = _now()
        self.manifest: dict[str, Any] | None = None
        self.kept_at: str | None = None
        #: On object stores, the version folder this fetch's files are promoted into (see module doc).
        self.files_dir = None if store.is_local else f"v-{self.staging_name[:16]}"
        #: Files carried over from the previous version and not fetched again in this fetch.
        self.existing: dict[str, dict[str, Any]] = {}
        self.existing_at: dict[str, str] = {}
        if keep_existing:
            previous = store.raw_manifest(provider, day, account)
            if previous and previous.get("complete"):
                for entry in previous.get("files", []):
                    if "path" not in entry:  # a file of this folder, carried over by the promotion
                        self.existing[entry["name"]] = entry
                        self.existing_at[entry["name"]] = store.raw_file(self.final_rel, previous, entry)

    def __enter__(self) -> RawFetch:
        if self.store.is_local:
            # Held while this fetch lives: a sweep removes only staging folders whose owner died.
            self._owner = contextlib.ExitStack()
            self._owner.enter_context(
                file_lock(self.store.abspath(f"{STAGING}/locks/{self.staging_name}.lock"))
            )
            self.store.sweep_staging()
        if self.existing:
            for name in self.existing:
                self.store.write_bytes(
                    f"{self.staging_rel}/{name}", self.store.read_bytes(self.existing_at[name])
                )
            self.files.extend(self.existing.values())
        return self

    def reference(self, rel: str, **info: Any) -> str:
        """Record a shared file (see `DataStore.write_shared`) as part of this fetch."""
        known = _SHARED_FACTS.get(self.store.abspath(rel))
        if known is None:
            data = self.store.read_bytes(rel)
            known = len(data), hashlib.sha256(data).hexdigest()
            del data
        size, digest = known
        self.files.append(
            {"name": rel.rsplit("/", 1)[1], "path": rel, "bytes": size, "sha256": digest, **info}
        )
        return rel

    def _unique(self, safe: str) -> str:
        """`safe` if this fetch does not use it yet: `report.zip`, then `report-2.zip`, ..."""
        taken = {f["name"] for f in self.files} | {MANIFEST}
        stem, dot, ext = safe.rpartition(".") if "." in safe[1:] else (safe, "", "")
        candidate, n = safe, 2
        while candidate in taken:
            candidate, n = f"{stem}-{n}{dot}{ext}", n + 1
        return candidate

    def add(self, name: str, data: bytes, **info: Any) -> str:
        """Keep `data` as a file named after `name` (made safe and unique within the fetch: two zips
        with the same member name are both kept); returns its path once promoted (for raw_ref)."""
        safe = component(name.split("?", 1)[0] or name, "file name")
        if self.existing.pop(safe, None) is not None:
            # Fetched again (`refetch`): the new bytes take the carried-over file's place, and count
            # as this fetch's own from now on. Kept beside it as `<name>-2`, every message of the file
            # was stored twice.
            self.files = [f for f in self.files if f["name"] != safe]
        else:
            safe = self._unique(safe)
        # Bytes as received, except a credential the vendor echoed (a token in a link or an error):
        # that is replaced by *** before anything is written, and the manifest says so.
        clean = _redact_bytes(self.redact, data)
        self.store.write_bytes(f"{self.staging_rel}/{safe}", clean)
        entry = {"name": safe, "bytes": len(clean), "sha256": hashlib.sha256(clean).hexdigest(), **info}
        if clean is not data:
            entry["redacted"] = True
        if safe != name:
            entry["given_name"] = name
        self.files.append(entry)
        return f"{self.final_rel}/{safe}"

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
            **({"files_dir": self.files_dir} if self.files_dir else {}),
        }

    def _write_manifest(self, manifest: dict[str, Any]) -> None:
        text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True, default=str)
        self.store.write_bytes(f"{self.staging_rel}/{MANIFEST}", self.redact(text).encode("utf-8"))

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        try:
            self._finish(exc)
        finally:
            if self._owner is not None:
                self._owner.close()

    def _finish(self, exc: BaseException | None) -> None:
        if isinstance(exc, VendorError):
            exc.redacted(self.redact)  # whatever a vendor echoed into the message, no secret leaves here
        if exc is None:
            self.manifest = self._manifest(True, None)
            self._write_manifest(self.manifest)
            self.store._replace_dir(self.staging_rel, self.final_rel, self.files_dir)
            return
        if isinstance(exc, NotReadyError):
            # Nothing was published yet: there is nothing worth keeping.
            with contextlib.suppress(FileNotFoundError):
                self.store.fs.rm(self.store.abspath(self.staging_rel), recursive=True)
            return
        failed_rel = self.store.failed_dir(self.provider, self.day, self.account)
        # A kept answer is for diagnosis: bytes that echo a credential are kept redacted, and say so.
        redacted = []
        for entry in self.files:
            if "path" in entry or entry["name"] in self.existing:
                continue
            rel = f"{self.staging_rel}/{entry['name']}"
            with contextlib.suppress(FileNotFoundError):
                data = self.store.read_bytes(rel)
                clean = _redact_bytes(self.redact, data)
                if clean is not data:
                    self.store.write_bytes(rel, clean)
                    entry["redacted"] = True
                    redacted.append(entry["name"])
        self.manifest = self._manifest(False, self.redact(str(exc)))
        if redacted:
            self.manifest["redacted_files"] = redacted
        with contextlib.suppress(Exception):
            self._write_manifest(self.manifest)
            self.store._replace_dir(self.staging_rel, failed_rel, self.files_dir)
            self.kept_at = failed_rel
            if isinstance(exc, VendorError) and exc.raw_path is None:
                new = [f["name"] for f in self.files if f["name"] not in self.existing and "path" not in f]
                where = (
                    self.store.raw_file(failed_rel, self.manifest, {"name": new[-1]}) if new else failed_rel
                )
                exc.with_raw_path(self.store.abspath(where))
