"""Contacto Multichat report client: ask for a report, download its zipped CSVs at once.

The token travels in the query string, so every URL this client shows goes through the
redactor. Report links live one hour: files are downloaded right after the report call, in
the same step, and a link that answers expired / forbidden / not found gets one fresh report.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date, datetime
from zoneinfo import ZoneInfo

import httpx

from chat_assets.errors import (
    AccessDeniedError,
    AuthError,
    NotReadyError,
    PayloadError,
    RequestRejectedError,
    UnavailableError,
)
from chat_assets.http import HttpPolicy, Redactor, VendorHttp
from chat_assets.limits import MIB, Limits, limits
from chat_assets.multichat.csvfile import CsvError, decode
from chat_assets.storage import RawFetch
from chat_assets.vendor_client import HttpVendorClient, VendorResource, split_list

VENDOR = "multichat"
REPORTS = ("conversaciones", "captura_datos")
FIRST_DAY = date(2025, 1, 1)
_LINK_PREFIX = re.compile(r"^[A-Za-z0-9]{6,}_(?=(conversaciones|captura_datos)-)")


class MultichatResource(VendorResource):
    """Contacto Multichat credentials (MULTICHAT_*); the token is only ever read through EnvVar."""

    base_url: str
    login: str
    token: str
    numbers: str
    #: MULTICHAT_COLUMNS: roles of CSV columns that inference cannot settle, e.g. `sender=tipo`.
    columns: str = ""

    def accounts(self) -> list[str]:
        return split_list(self.numbers)

    def client(self, transport: httpx.BaseTransport | None = None) -> MultichatClient:
        return MultichatClient(
            self.base_url, self.login, self.token, self.store.timezone, transport=transport
        )


class MultichatClient(HttpVendorClient):
    def __init__(
        self,
        base_url: str,
        login: str,
        token: str,
        timezone: str,
        *,
        policy: HttpPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        self.base_url, self.login, self.token, self.timezone = base_url, login, token, timezone
        self.redact = Redactor([token])
        self.http = VendorHttp(VENDOR, base_url, policy=policy, redactor=self.redact, transport=transport)
        # An account-day is a few requests in a row (report, then downloads), and Multichat publishes
        # no concurrency limit: several account-days at once, within the HTTP cap.
        self.account_days_at_once = self.http.policy.max_concurrency

    def params(self, kind: str, number: str, day: str) -> dict[str, str]:
        return {
            "login": self.login,
            "token": self.token,
            "tipo_reporte": kind,
            "numero_oficial": number,
            "fecha_reporte": day,
        }

    def describe(self, day: str, number: str) -> dict[str, object]:
        return {
            kind: self.http.describe("GET", self.base_url, self.params(kind, number, day)) for kind in REPORTS
        }

    def _report(self, fetch: RawFetch, kind: str, number: str, day: str, attempt: int) -> list[str]:
        response = self.http.request(
            "GET", self.base_url, params=self.params(kind, number, day), account=number, day=day
        )
        name = f"report-{kind}{'' if attempt == 1 else f'-{attempt}'}.json"
        fetch.add(name, response.content, status=response.status_code, kind=kind)
        try:
            body = json.loads(response.content)
            code, status = int(body["code"]), str(body.get("status", ""))
        except (ValueError, KeyError, TypeError, RecursionError):
            raise PayloadError(
                VENDOR,
                number,
                day,
                f"the report call for '{kind}' answered HTTP {response.status_code} with something that is not "
                f"the documented JSON ({response.headers.get('content-type', 'no content type')})",
            ) from None
        if code == 1:
            urls = status.split()
            if not urls:
                raise PayloadError(VENDOR, number, day, f"report '{kind}' succeeded but listed no file")
            return urls
        today = datetime.now(ZoneInfo(self.timezone)).date()
        the_day = date.fromisoformat(day)
        if code == -1 and the_day < FIRST_DAY:
            raise RequestRejectedError(
                VENDOR,
                number,
                day,
                "Multichat keeps reports from 2025-01-01 on only",
                action="Choose a day from 2025-01-01 on.",
            )
        if code == -1:
            raise NotReadyError(
                VENDOR,
                number,
                day,
                f"the report is not available yet (today is {today} in {self.timezone}; reports exist up to yesterday)",
            )
        if code == -2:
            raise RequestRejectedError(
                VENDOR, number, day, f"the vendor rejected report type '{kind}' (code -2)"
            )
        if code == -3:
            raise AuthError(
                VENDOR, number, day, "the vendor rejected MULTICHAT_LOGIN / MULTICHAT_TOKEN (code -3)"
            )
        if code == -4:
            raise AccessDeniedError(
                VENDOR,
                number,
                day,
                "the user or project is inactive, or the user has no access to this number (code -4)",
                action="Check MULTICHAT_NUMBERS, or ask Multichat to activate the user/project and grant access.",
            )
        raise PayloadError(VENDOR, number, day, f"unknown report code {code}: {self.redact(status)[:200]}")

    def _download(self, url: str, number: str, day: str) -> httpx.Response:
        return self.http.request("GET", url, account=number, day=day)

    def fetch_day(self, fetch: RawFetch, day: str, number: str) -> None:
        """Both reports for one number and day: report JSON, zips and extracted CSVs, kept as received."""
        files = 0
        for kind in REPORTS:
            urls = self._report(fetch, kind, number, day, 1)
            responses = [self._download(url, number, day) for url in urls]
            if any(r.status_code in (403, 404, 410) for r in responses):
                # Expired or vanished links: ask for the report once more and download at once.
                urls = self._report(fetch, kind, number, day, 2)
                responses = [self._download(url, number, day) for url in urls]
            for url, response in zip(urls, responses, strict=True):
                name = _LINK_PREFIX.sub("", url.split("?", 1)[0].rsplit("/", 1)[-1]) or f"{kind}.zip"
                fetch.add(name, response.content, status=response.status_code, kind=kind)
                if response.status_code != 200:
                    raise UnavailableError(
                        VENDOR,
                        number,
                        day,
                        f"the {kind} file could not be downloaded (HTTP {response.status_code}) even from a fresh report",
                    )
                files += self._extract(fetch, name, response.content, kind, number, day)
        fetch.note(csv_files=files)

    def _extract(self, fetch: RawFetch, name: str, data: bytes, kind: str, number: str, day: str) -> int:
        """Every CSV of a downloaded zip, kept beside it; members are checked before and while read
        (size, compression ratio) so a zip bomb never reaches the disk."""
        caps = limits()
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            members = [m for m in archive.infolist() if not m.is_dir()]
            if not members:
                raise PayloadError(VENDOR, number, day, f"{name} is an empty zip (no CSV inside)")
            for member in members:
                if member.file_size > caps.max_member_bytes:
                    raise PayloadError(
                        VENDOR,
                        number,
                        day,
                        _too_big(name, member.filename, member.file_size, caps),
                        action=_LIMIT_ACTION,
                    )
                if member.compress_size and member.file_size / member.compress_size > caps.max_zip_ratio:
                    raise PayloadError(
                        VENDOR,
                        number,
                        day,
                        f"{name}: member {member.filename!r} expands {member.file_size // member.compress_size}"
                        f"-fold, more than CHAT_ASSETS_MAX_ZIP_RATIO={caps.max_zip_ratio:g} (a zip bomb?)",
                        action=_LIMIT_ACTION,
                    )
                with archive.open(member) as handle:  # the header may lie: read no more than the cap
                    content = handle.read(caps.max_member_bytes + 1)
                if len(content) > caps.max_member_bytes:
                    raise PayloadError(
                        VENDOR,
                        number,
                        day,
                        _too_big(name, member.filename, len(content), caps),
                        action=_LIMIT_ACTION,
                    )
                # Only the member's base name is used, made safe and unique by the store (zip slip).
                csv_name = member.filename.replace("\\", "/").rsplit("/", 1)[-1] or "member"
                if not csv_name.lower().endswith(".csv"):
                    csv_name += ".csv"
                fetch.add(
                    csv_name,
                    content,
                    kind=kind,
                    extracted_from=name,
                    member=member.filename,
                    records=max(0, content.count(b"\n") - 1),
                    **_text_evidence(content),
                )
            return len(members)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError) as exc:
            raise PayloadError(VENDOR, number, day, f"{name} is not a readable zip ({exc})") from None


def _text_evidence(content: bytes) -> dict[str, object]:
    """How the CSV's bytes decode, for its manifest entry; an undecodable file is judged at normalization."""
    try:
        _text, encoding, replaced = decode(content)
    except CsvError as exc:
        return {"encoding": None, "decode_problem": str(exc)}
    return {"encoding": encoding, "replaced_bytes": replaced}


_LIMIT_ACTION = (
    "If the vendor really sends files this large, raise CHAT_ASSETS_MAX_MEMBER_MB / "
    "CHAT_ASSETS_MAX_ZIP_RATIO; otherwise report the file to the vendor."
)


def _too_big(name: str, member: str, size: int, caps: Limits) -> str:
    return (
        f"{name}: member {member!r} holds {size // MIB} MiB or more, over CHAT_ASSETS_MAX_MEMBER_MB="
        f"{caps.max_member_bytes // MIB}"
    )
