"""CSV exports: every export goes through ``csv_response`` (or ``csv_bytes``).

Cells are neutralised against formula injection: a text cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return (or their full-width forms, which Japanese Excel also reads as a
formula) gets a leading apostrophe, so a spreadsheet shows the text instead of running it
(OWASP "CSV Injection"). Numbers, dates and booleans are written as they are.

Files are UTF-8 with a BOM so that Excel in Japan opens them with the right characters; pass
``encoding="cp932"`` where a partner system expects Shift_JIS (the BOM is only written for UTF-8).
"""

import codecs
import csv
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from urllib.parse import quote

from django.http import StreamingHttpResponse
from django.utils import timezone

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def neutralise(value) -> object:
    """One cell, safe to open in a spreadsheet."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds") if timezone.is_aware(value) else value
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def neutralise_row(row: Sequence) -> list:
    return [neutralise(cell) for cell in row]


class _Echo:
    def write(self, value):
        return value


def iter_csv(rows: Iterable[Sequence], *, encoding: str = "utf-8-sig") -> Iterable[bytes]:
    """Encoded CSV lines (CRLF, every cell neutralised), after a BOM for ``utf-8-sig``.

    A character the encoding cannot represent (only possible outside UTF-8) becomes ``?``.
    """
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    if encoding.lower().replace("_", "-") == "utf-8-sig":
        yield codecs.BOM_UTF8
        encoding = "utf-8"
    for row in rows:
        yield writer.writerow(neutralise_row(row)).encode(encoding, errors="replace")


def csv_bytes(rows: Iterable[Sequence], *, encoding: str = "utf-8-sig") -> bytes:
    return b"".join(iter_csv(rows, encoding=encoding))


def csv_response(
    rows: Iterable[Sequence], filename: str, *, encoding: str = "utf-8-sig"
) -> StreamingHttpResponse:
    """A download of ``rows`` (the first row is usually the header) as ``filename``.

    Streams, so a large export is not held in memory. Marked ``no-store``: exports carry personal
    data and must not linger in caches.
    """
    charset = "utf-8" if encoding.startswith("utf-8") else encoding
    response = StreamingHttpResponse(
        iter_csv(rows, encoding=encoding), content_type=f"text/csv; charset={charset}"
    )
    # An ASCII fallback for old clients, and the real (often Japanese) name in RFC 6266 form.
    fallback = filename.encode("ascii", errors="replace").decode().replace("?", "_").replace('"', "_")
    response["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    )
    response["Cache-Control"] = "no-store"
    return response
