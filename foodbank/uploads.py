"""Reading uploaded files safely (e.g. the carrier's tracking-number CSV).

``read_text_upload`` refuses a file over its size limit (413 ``upload_too_large``) before reading
it, one with more lines than the caller accepts (413 ``too_many_rows``, read line by line and
stopped at the first line over: a million-row file is never read whole), and a file that is not
text (NUL bytes, undecodable) with 400 ``invalid_upload``, so a hostile upload never turns into a
500.
"""

import csv
import io

from django.conf import settings
from django.utils.translation import gettext as _

from .exceptions import InvalidUpload, TooManyRows, UploadTooLarge

# The B2 Cloud CSV is Shift_JIS (cp932); files saved from Excel may be UTF-8 with a BOM.
DEFAULT_ENCODINGS = ("utf-8-sig", "cp932")


def _read_lines(upload, *, max_lines: int, limit: int) -> bytes:
    """The bytes of at most ``max_lines`` non-blank lines, read as a stream (TooManyRows beyond)."""
    kept, size, lines = [], 0, 0
    for line in upload:
        if line.strip():
            lines += 1
            if lines > max_lines:
                raise TooManyRows(
                    _("The file has more than %(max)d rows; this import accepts at most %(max)d.")
                    % {"max": max_lines},
                    max_rows=max_lines,
                )
        size += len(line)
        if size > limit:
            raise UploadTooLarge(max_bytes=limit)
        kept.append(line)
    return b"".join(kept)


def read_text_upload(
    upload, *, max_bytes: int | None = None, max_lines: int | None = None, encodings=DEFAULT_ENCODINGS
) -> str:
    """The text of an uploaded file; ``max_bytes`` defaults to TRACKING_IMPORT_MAX_BYTES, and
    ``max_lines`` (non-blank lines, a header included) is not limited unless given."""
    limit = settings.TRACKING_IMPORT_MAX_BYTES if max_bytes is None else max_bytes
    if upload is None:
        raise InvalidUpload(_("No file was uploaded."))
    if upload.size is not None and upload.size > limit:
        raise UploadTooLarge(
            _("The file is %(size)d bytes; at most %(limit)d are accepted.")
            % {"size": upload.size, "limit": limit},
            max_bytes=limit,
        )
    if max_lines is not None:
        raw = _read_lines(upload, max_lines=max_lines, limit=limit)
    else:
        raw = upload.read(limit + 1)
        if len(raw) > limit:
            raise UploadTooLarge(max_bytes=limit)
    if b"\x00" in raw:
        raise InvalidUpload(_("The file is not a text file (it contains NUL bytes)."))
    for encoding in encodings:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidUpload(_("The file's character encoding is not recognised (expected UTF-8 or Shift_JIS)."))


def read_csv_upload(upload, *, max_bytes: int | None = None) -> list[list[str]]:
    """The rows of an uploaded CSV file (see ``read_text_upload`` for the refusals)."""
    text = read_text_upload(upload, max_bytes=max_bytes)
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InvalidUpload(_("The file is not valid CSV: %(error)s") % {"error": exc}) from None
