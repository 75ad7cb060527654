"""The courier's delivery status, imported from a file (docs/shipping-b2.md, "Delivery status").

Yamato gives no delivery-status export that could be matched by reference (B2 Cloud's issued data
has numbers, not outcomes); what staff can get is the status of each 伝票番号 from Yamato's
tracking (荷物お問い合わせ: 配達完了, 持戻（ご不在）, 返品 …), copied into a spreadsheet. This module
reads such a CSV: a header row naming its columns, one row per box, matched to a parcel by
お客様管理番号 (the parcel's reference, or one box's ``<reference>-<n>of<N>``) and/or 伝票番号 (any
box's number). 配達完了 marks the parcel delivered, 返品 returned (its packs go back into stock,
``deliveries.mark_returned``); other statuses are still on the way and change nothing.

A row that names no parcel of the batch's food bank (another food bank's parcel included: the
answer does not tell them apart), names two different parcels by reference and number, or
contradicts another row for the same parcel is refused and reported; nothing is written for it.
Each parcel changes in its own transaction (``services.mark_delivered``,
``deliveries.mark_returned``), and a parcel already in the outcome is left as it is: importing
the same file twice changes nothing the second time.
"""

import csv
import io
import re
import unicodedata
from collections import Counter

from django.conf import settings
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from foodbank.exceptions import InvalidTransition, InvalidUpload

from .deliveries import mark_returned
from .models import DispatchBatch, Parcel
from .services import mark_delivered

S = Parcel.Status

# Header names as Yamato's pages and B2 Cloud write them (a spreadsheet keeps them as typed).
REFERENCE_HEADERS = ("お客様管理番号",)
NUMBER_HEADERS = ("伝票番号", "お問い合わせ伝票番号", "お問い合わせ番号", "送り状番号")
STATUS_HEADERS = ("荷物状況", "配達状況", "お届け状況", "ステータス", "状況")
# Yamato's tracking statuses that end the journey. 持戻（ご不在） is not a return: the box is taken
# out again or kept at the office; only 返品 (sent back to the sender) is.
DELIVERED_STATUSES = ("配達完了",)
RETURNED_STATUSES = ("返品",)
_BOX = re.compile(r"^(?P<reference>.+)-(?P<box>\d+)of(?P<boxes>\d+)$")


def max_rows(batch_id: int) -> int:
    """The most rows a status file for the batch's food bank can have: one per box that left the
    warehouse, a header and TRACKING_IMPORT_ROW_MARGIN more."""
    food_bank_id = DispatchBatch.objects.values_list("food_bank_id", flat=True).get(pk=batch_id)
    boxes = Parcel.objects.filter(
        food_bank_id=food_bank_id, status__in=(S.LABEL_ISSUED, S.HANDED_OVER, S.DELIVERED, S.RETURNED)
    ).aggregate(n=Sum("boxes"))["n"]
    return (boxes or 0) + 1 + settings.TRACKING_IMPORT_ROW_MARGIN


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    cells = [unicodedata.normalize("NFKC", c).strip().lstrip("\ufeff") for c in header]
    wanted = [unicodedata.normalize("NFKC", n) for n in names]
    return next((i for i, cell in enumerate(cells) if cell in wanted), None)


def _outcome(status: str) -> str:
    text = unicodedata.normalize("NFKC", status)
    if any(unicodedata.normalize("NFKC", s) in text for s in DELIVERED_STATUSES):
        return S.DELIVERED
    if any(unicodedata.normalize("NFKC", s) in text for s in RETURNED_STATUSES):
        return S.RETURNED
    return ""


def _reject(row: int, reason: str, message: str, reference: str = "", number: str = "") -> dict:
    return {"row": row, "reason": reason, "message": message, "reference": reference, "number": number}


def import_delivery_status(*, batch_id: int, text: str, by) -> dict:
    """Mark the parcels the file says were delivered or returned. Returns ``{delivered: [refs],
    returned: [refs], unchanged: [refs], in_transit: rows, rejected: [{row, reason, message,
    reference, number}], rejected_count, rejected_by_reason}`` (the first
    TRACKING_IMPORT_REJECTS_SHOWN rejected rows; the counts cover every row)."""
    batch = DispatchBatch.objects.get(pk=batch_id)
    rows = [(n, fields) for n, fields in _rows(text) if any(f.strip() for f in fields)]
    if not rows:
        raise InvalidUpload(_("The file is empty."))
    (_line, header), body = rows[0], rows[1:]
    ref_col, num_col = _column(header, REFERENCE_HEADERS), _column(header, NUMBER_HEADERS)
    status_col = _column(header, STATUS_HEADERS)
    if status_col is None or (ref_col is None and num_col is None):
        raise InvalidUpload(
            _(
                "The first row must name the columns: 伝票番号 and/or お客様管理番号, and 荷物状況 "
                '(docs/shipping-b2.md, "Delivery status").'
            )
        )

    def cell(fields: list[str], col: int | None) -> str:
        return fields[col].strip() if col is not None and col < len(fields) else ""

    parsed = []
    for line, fields in body:
        reference = cell(fields, ref_col)
        number = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", cell(fields, num_col)))
        match = _BOX.match(reference)
        parsed.append((line, reference, match.group("reference") if match else reference, number, fields))
    own_references = set(
        Parcel.objects.filter(
            food_bank_id=batch.food_bank_id, reference__in=[p[1] for p in parsed if p[1]]
        ).values_list("reference", flat=True)
    )
    # A parcel's own reference first; "<reference>-<n>of<N>" is one box of it.
    parsed = [
        (line, ref, ref if ref in own_references else base, num, f) for line, ref, base, num, f in parsed
    ]
    references = {base for _l, ref, base, _n, _f in parsed if ref} | {ref for _l, ref, *_ in parsed if ref}
    numbers = [n for *_x, n, _f in parsed if n]
    candidates = list(
        Parcel.objects.filter(
            Q(reference__in=references)
            | Q(tracking_number__in=numbers)
            | Q(box_numbers__has_any_keys=numbers)
        ).values("pk", "reference", "food_bank_id", "boxes", "tracking_number", "box_numbers")
    )
    # Only this food bank's parcels can be named; another's is "unknown" (nothing about it is told).
    own = [p for p in candidates if p["food_bank_id"] == batch.food_bank_id]
    by_reference = {p["reference"]: p for p in own}
    by_number = {}
    for p in own:
        for n in [p["tracking_number"], *(p["box_numbers"] or [])]:
            if n:
                by_number[n] = p

    rejected: list[dict] = []
    in_transit = 0
    wanted: dict[int, tuple[str, list[tuple[int, str, str]]]] = {}
    conflicting: set[int] = set()
    for line, reference, base, number, fields in parsed:
        if not reference and not number:
            rejected.append(
                _reject(line, "missing_parcel", _("The row has neither お客様管理番号 nor 伝票番号."))
            )
            continue
        named = {
            p["pk"]: p
            for p in (
                by_reference.get(base) if reference else None,
                by_number.get(number) if number else None,
            )
            if p
        }
        found_by_ref = reference and base in by_reference
        found_by_num = number and number in by_number
        if not named:
            rejected.append(
                _reject(
                    line,
                    "unknown_parcel",
                    _("No parcel of this food bank has this お客様管理番号 or 伝票番号."),
                    reference,
                    number,
                )
            )
            continue
        if len(named) > 1 or (reference and not found_by_ref) or (number and not found_by_num):
            rejected.append(
                _reject(
                    line,
                    "reference_number_mismatch",
                    _("The お客様管理番号 and the 伝票番号 of this row are not the same parcel's."),
                    reference,
                    number,
                )
            )
            continue
        (parcel,) = named.values()
        outcome = _outcome(cell(fields, status_col))
        if not outcome:
            in_transit += 1
            continue
        previous = wanted.get(parcel["pk"])
        if previous and previous[0] != outcome:
            conflicting.add(parcel["pk"])
        wanted.setdefault(parcel["pk"], (outcome, []))[1].append((line, reference, number))

    done: dict[str, list[str]] = {S.DELIVERED: [], S.RETURNED: [], "unchanged": []}
    statuses = dict(Parcel.objects.filter(pk__in=list(wanted)).values_list("pk", "status"))
    for pk, (outcome, lines) in wanted.items():
        reference = next(p["reference"] for p in own if p["pk"] == pk)
        if pk in conflicting:
            rejected.extend(
                _reject(
                    line,
                    "conflicting_rows",
                    _("Rows of the file say this parcel was both delivered and returned."),
                    ref,
                    num,
                )
                for line, ref, num in lines
            )
            continue
        if statuses.get(pk) == outcome:
            done["unchanged"].append(reference)
            continue
        try:
            if outcome == S.DELIVERED:
                mark_delivered(parcel_id=pk, by=by)
            else:
                mark_returned(parcel_id=pk, by=by, note=_("Courier status: returned to sender"))
        except InvalidTransition:
            line, ref, num = lines[0]
            rejected.append(
                _reject(
                    line,
                    "invalid_status",
                    _("The parcel is %(status)s: it cannot become %(outcome)s.")
                    % {"status": S(statuses.get(pk)).label, "outcome": S(outcome).label},
                    ref,
                    num,
                )
            )
            continue
        done[outcome].append(reference)
    rejected.sort(key=lambda r: r["row"])
    return {
        "delivered": done[S.DELIVERED],
        "returned": done[S.RETURNED],
        "unchanged": done["unchanged"],
        "in_transit": in_transit,
        "rejected": rejected[: settings.TRACKING_IMPORT_REJECTS_SHOWN],
        "rejected_count": len(rejected),
        "rejected_by_reason": dict(sorted(Counter(r["reason"] for r in rejected).items())),
    }


def _rows(text: str):
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for fields in reader:
            yield reader.line_num, fields
    except csv.Error as exc:
        raise InvalidUpload(_("The file is not a readable CSV.")) from exc
