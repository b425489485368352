"""Reading a Multichat CSV's bytes into an all-string table, whatever dialect the account exports.

Nothing documents the file (NOTES.md), so each file is read by evidence: the encoding from its
BOM or from how its bytes decode (UTF-8, with a stray bad byte replaced and counted rather than
turning the whole file into cp1252 mojibake; cp1252 when the bytes are plainly single-byte;
UTF-16 with a BOM, as Excel's "Unicode text" writes), the delimiter (`,` `;` tab `|`) from the
one that splits the first lines into a constant number of fields, quoting and CRLF by Arrow's
reader. Every column is kept as written; duplicate or blank header names get a suffix.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.csv as pacsv

from chat_assets import memory

BOM_UTF8 = b"\xef\xbb\xbf"
BOMS_UTF16 = (b"\xff\xfe", b"\xfe\xff")
DELIMITERS = (",", ";", "\t", "|")
#: A file whose bytes are this share of undecodable in UTF-8 and cp1252 alike is not text.
MAX_BAD_SHARE = 0.01
#: Characters `sniff_delimiter` looks at, and enough bytes to hold that many in UTF-8.
SNIFF_CHARS = 1 << 16
SNIFF_BYTES = 4 * SNIFF_CHARS


class CsvError(ValueError):
    """The bytes are not a CSV this reader can trust."""


@dataclass(frozen=True)
class Dialect:
    encoding: str
    delimiter: str
    replaced_bytes: int

    def as_notes(self) -> dict[str, object]:
        return {"encoding": self.encoding, "delimiter": self.delimiter, "replaced_bytes": self.replaced_bytes}


def decode(data: bytes) -> tuple[str, str, int]:
    """(text, encoding, bytes replaced) chosen by evidence in the bytes."""
    if data.startswith(BOM_UTF8):
        text = data[len(BOM_UTF8) :].decode("utf-8", errors="replace")
        return text, "utf-8-sig", _introduced_replacements(data, text)
    if data.startswith(BOMS_UTF16):
        return data.decode("utf-16"), "utf-16", 0
    if b"\x00" in data:
        raise CsvError("the file holds NUL bytes: it is binary or UTF-16 without a BOM, not a CSV text")
    try:
        return data.decode("utf-8"), "utf-8", 0
    except UnicodeDecodeError:
        pass
    lenient = data.decode("utf-8", errors="replace")
    bad = _introduced_replacements(data, lenient)
    multibyte = sum(1 for ch in lenient if ord(ch) > 0x7F) - bad
    # Real UTF-8 text with a few broken bytes: keep UTF-8, count what was replaced.
    if multibyte >= 3 * bad:
        if bad > MAX_BAD_SHARE * max(1, len(lenient)):
            raise CsvError(f"{bad} of {len(data)} bytes are not valid UTF-8: the file is mostly undecodable")
        return lenient, "utf-8", bad
    try:
        return data.decode("cp1252"), "cp1252", 0
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        bad = _introduced_replacements(data, text)
        if bad > MAX_BAD_SHARE * max(1, len(text)):
            raise CsvError(
                f"{bad} bytes decode neither as UTF-8 nor as cp1252: the file is mostly undecodable"
            ) from None
        return text, "cp1252", bad


def _introduced_replacements(data: bytes, text: str) -> int:
    return text.count("\ufffd") - data.count("\ufffd".encode())


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header and the first rows into one constant field count (>= 2)."""
    head = text[: 1 << 16]
    if len(text) > len(head):
        head = head.rsplit("\n", 1)[0]
    best, best_score = None, (0, 0.0)
    for delimiter in DELIMITERS:
        rows = [r for r in csv.reader(io.StringIO(head, newline=""), delimiter=delimiter) if r]
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        agreeing = sum(1 for r in rows[1:] if len(r) == width) / (len(rows) - 1) if len(rows) > 1 else 1.0
        score = (width, agreeing) if agreeing >= 0.9 else (0, 0.0)
        if score > best_score:
            best, best_score = delimiter, score
    if best is None:
        raise CsvError("no delimiter among , ; tab | splits the header and rows into the same columns")
    return best


def header_names(header: list[str]) -> list[str]:
    """The header as written, with blank names and repeats made unique (`columna_3`, `Fecha_2`)."""
    out: list[str] = []
    for i, name in enumerate(header):
        name = name.strip() or f"columna_{i + 1}"
        base, k = name, 2
        while name in out:
            name, k = f"{base}_{k}", k + 1
        out.append(name)
    return out


def utf8_body(data: bytes) -> tuple[memoryview, str, str] | None:
    """(the bytes after any BOM, the text of their head, encoding) when all of them are UTF-8.

    The common case, checked in pieces so that a day's file never becomes one Python string (up to
    four bytes a character, the largest memory cost of reading it): Arrow then reads the bytes as
    they are. None sends the file through `decode` (stray bytes, cp1252, UTF-16, NUL bytes).
    """
    if b"\x00" in data:
        return None
    start = len(BOM_UTF8) if data.startswith(BOM_UTF8) else 0
    body = memoryview(data)[start:]
    head_bytes = bytes(body[:SNIFF_BYTES])
    if len(body) > SNIFF_BYTES and b"\n" not in head_bytes:
        return None  # a header line longer than the head: let decode() see all of it
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for at in range(0, len(body), 1 << 20):
            decoder.decode(body[at : at + (1 << 20)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    # A character cut at the end of the head is dropped; the head is only for sniffing.
    head = head_bytes.decode("utf-8", errors="ignore")
    return body, head, "utf-8-sig" if start else "utf-8"


def read_csv(data: bytes) -> tuple[pa.Table, Dialect]:
    """All columns as strings, in file order; raises CsvError when the bytes are no CSV."""
    fast = utf8_body(data)
    if fast is not None:
        body, text, encoding = fast
        replaced, source = 0, pa.py_buffer(body)
        whole = len(body) <= SNIFF_BYTES
    else:
        text, encoding, replaced = decode(data)
        source, whole = pa.py_buffer(text.encode("utf-8")), True
    if not text.strip() and whole:
        raise CsvError("the file is empty (not even a header line)")
    delimiter = sniff_delimiter(text)
    header = next(csv.reader(io.StringIO(text.split("\n", 1)[0].rstrip("\r")), delimiter=delimiter))
    del text
    names = header_names(header)
    table = pacsv.read_csv(
        pa.BufferReader(source),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    # The parser's blocks go back to the system now: they are freed, but the allocator kept them
    # (measured: 35 MB beside a 21 MB table from a 19 MB file), below everything that follows.
    memory.release_freed()
    return table, Dialect(encoding, delimiter, replaced)
