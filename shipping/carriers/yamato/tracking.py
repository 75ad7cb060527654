"""B2 Cloud's issued-data CSV read back: tracking numbers matched to parcels, check digits."""

import csv
import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Collection, Mapping

from django.utils.translation import gettext as _

from shipping.exceptions import TrackingFileUnreadable

from ..base import RejectedRow, TrackingImportResult
from .layout import COLUMNS

TRACKING_URL = "https://toi.kuronekoyamato.co.jp/cgi-bin/tneko?number00=1&number01={number}"


def is_valid_tracking_number(number: str) -> bool:
    """12 digits whose first 11, read as a number, leave the 12th as remainder when divided by 7."""
    return (
        len(number) == 12
        and number.isascii()
        and number.isdigit()
        and int(number[:11]) % 7 == int(number[11])
    )


def _owner(assigned: Mapping[str, str] | Collection[str], number: str, reference: str) -> str | None:
    """The parcel a number is stored on: ``reference`` when it is free (or, given a mapping, its own)."""
    if isinstance(assigned, Mapping):
        return assigned.get(number, reference)
    return None if number in assigned else reference


def import_tracking(
    data: bytes,
    *,
    known_references: Collection[str],
    assigned_numbers: Mapping[str, str] | Collection[str],
) -> TrackingImportResult:
    """Match B2's issued-data CSV: column 1 is our reference, column 4 the tracking number.

    A first row whose column 1 is the header text is skipped. Numbers may carry hyphens
    (1234-5678-9012). Rows are rejected, with their line number, for: too few columns, no or an
    unknown reference, no number, a malformed number, a bad check digit, a number on two rows
    of different parcels (every such row), a reference with two different numbers (every such
    row), a repeated identical row (the repeats), and a number already stored on another
    parcel. A number already stored on the same parcel matches again (re-uploading is harmless)
    when ``assigned_numbers`` maps number → reference; a plain set of numbers counts every stored
    number as taken.
    """
    text = _decode(data)
    try:
        rows = list(_rows(text))
    except csv.Error as exc:
        raise TrackingFileUnreadable() from exc
    known = set(known_references)
    rejected: list[RejectedRow] = []
    candidates: list[tuple[int, str, str]] = []
    for line, fields in rows:
        reference = fields[0].strip() if fields else ""
        if len(fields) < 4:
            rejected.append(
                RejectedRow(line, "malformed_row", _("The row has fewer than 4 columns."), reference)
            )
            continue
        raw_number = fields[3].strip()
        number = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", raw_number))
        if not reference:
            rejected.append(RejectedRow(line, "missing_reference", _("Column 1 (お客様管理番号) is empty.")))
        elif reference not in known:
            rejected.append(
                RejectedRow(
                    line,
                    "unknown_reference",
                    _("No parcel of this batch has this お客様管理番号."),
                    reference,
                    number,
                )
            )
        elif not number:
            rejected.append(
                RejectedRow(
                    line,
                    "missing_number",
                    _("Column 4 (伝票番号) is empty: no label was issued."),
                    reference,
                )
            )
        elif not (number.isascii() and number.isdigit() and len(number) == 12):
            rejected.append(
                RejectedRow(
                    line,
                    "malformed_number",
                    _("伝票番号 must be 12 digits (a spreadsheet may have turned it into 1.23E+11)."),
                    reference,
                    raw_number,
                )
            )
        elif not is_valid_tracking_number(number):
            rejected.append(
                RejectedRow(
                    line,
                    "bad_check_digit",
                    _("The check digit of this 伝票番号 is wrong (first 11 digits mod 7 ≠ last digit)."),
                    reference,
                    number,
                )
            )
        else:
            candidates.append((line, reference, number))

    by_number: dict[str, set[str]] = defaultdict(set)
    by_reference: dict[str, set[str]] = defaultdict(set)
    for _line, reference, number in candidates:
        by_number[number].add(reference)
        by_reference[reference].add(number)
    matched: list[tuple[str, str]] = []
    done: set[tuple[str, str]] = set()
    for line, reference, number in candidates:
        if len(by_number[number]) > 1:
            rejected.append(
                RejectedRow(
                    line,
                    "duplicate_number",
                    _("This 伝票番号 appears in the file for more than one parcel."),
                    reference,
                    number,
                )
            )
        elif len(by_reference[reference]) > 1:
            rejected.append(
                RejectedRow(
                    line,
                    "ambiguous_reference",
                    _("This お客様管理番号 appears in the file with different 伝票番号."),
                    reference,
                    number,
                )
            )
        elif (reference, number) in done:
            rejected.append(
                RejectedRow(line, "duplicate_row", _("This row repeats an earlier row."), reference, number)
            )
        elif _owner(assigned_numbers, number, reference) != reference:
            rejected.append(
                RejectedRow(
                    line,
                    "number_already_assigned",
                    _("This 伝票番号 is already stored on another parcel."),
                    reference,
                    number,
                )
            )
        else:
            done.add((reference, number))
            matched.append((reference, number))
    rejected.sort(key=lambda r: r.row)
    return TrackingImportResult(tuple(matched), tuple(rejected))


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise TrackingFileUnreadable()
    for encoding in ("cp932", "utf-8-sig"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TrackingFileUnreadable()


def _rows(text: str):
    """(line number, fields) for each non-blank row, skipping a header row."""
    reader = csv.reader(io.StringIO(text, newline=""))
    first = True
    for fields in reader:
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        if first and fields[0].strip().lstrip("\ufeff") == COLUMNS[0].header:
            first = False
            continue
        first = False
        yield line, fields
