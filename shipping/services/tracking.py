"""Importing B2 Cloud's issued-data file: tracking numbers, labels issued, requests shipped."""

from collections import Counter
from typing import Any, TypedDict

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from referrals import services as referral_services

from .. import locks
from ..carriers import box_reference, get_carrier
from ..models import DispatchBatch, Parcel, ParcelEvent

S = Parcel.Status


def tracking_import_max_rows(batch_id: int) -> int:
    """The most rows an issued-data file for the batch can have: one per live parcel, a header and
    TRACKING_IMPORT_ROW_MARGIN more (docs/shipping-b2.md)."""
    boxes = Parcel.objects.filter(batch_id=batch_id).exclude(status=S.VOID).aggregate(n=Sum("boxes"))["n"]
    return (boxes or 0) + 1 + settings.TRACKING_IMPORT_ROW_MARGIN


class MatchedNumber(TypedDict):
    reference: str
    tracking_number: str


class TrackingImport(TypedDict):
    """What ``import_tracking`` answers (the API returns it as is)."""

    matched: list[MatchedNumber]
    # {row, reason, message, reference, number} (carriers.RejectedRow.as_dict), the first ones only.
    rejected: list[dict[str, Any]]
    rejected_count: int
    rejected_by_reason: dict[str, int]


def import_tracking(*, batch_id: int, data: bytes, by: User | None = None) -> TrackingImport:
    """Store the tracking numbers of B2 Cloud's issued-data file for the batch's parcels.

    Rows are matched by column 1 (our reference) and checked by the carrier (check digit, duplicates,
    numbers already stored elsewhere). Packed parcels move to ``label_issued`` and their delivery
    requests to shipped (the case worker is emailed the tracking link) in one transaction; parcels
    not packed yet keep the number and ship when packed. Importing the same file again matches the
    same rows and changes nothing. Returns ``{matched: [{reference, tracking_number}], rejected:
    [{row, reason, message, reference, number}], rejected_count, rejected_by_reason}``: ``rejected``
    lists the first TRACKING_IMPORT_REJECTS_SHOWN rows only, the counts cover every row.
    """
    batch = DispatchBatch.objects.select_related("account").get(pk=batch_id)
    carrier = get_carrier(batch.account.carrier)
    # A parcel of several boxes is in the carrier's file once per box (carriers.box_reference):
    # each box's row comes back with its own number.
    box_of: dict[str, tuple[str, int]] = {}  # carrier reference → (parcel reference, box index)
    assigned: dict[str, str] = {}  # number already stored → carrier reference
    rows = Parcel.objects.filter(batch=batch).values_list(
        "reference", "boxes", "status", "tracking_number", "box_numbers"
    )
    for reference, boxes, status, number, numbers in rows:
        if status != S.VOID:
            for box in range(1, boxes + 1):
                box_of[box_reference(reference, box, boxes)] = (reference, box - 1)
        if boxes > 1:
            assigned.update(
                {n: box_reference(reference, i + 1, boxes) for i, n in enumerate(numbers or []) if n}
            )
        elif number:
            assigned[number] = reference
    result = carrier.import_tracking(data, known_references=set(box_of), assigned_numbers=assigned)
    matched = dict(result.matched)
    rejected = [r.as_dict() for r in result.rejected]
    wanted = list(matched.values())
    elsewhere = set()
    for number, numbers in (
        Parcel.objects.filter(Q(tracking_number__in=wanted) | Q(box_numbers__has_any_keys=wanted))
        .exclude(batch=batch)
        .values_list("tracking_number", "box_numbers")
    ):
        elsewhere.update({number, *(numbers or [])} & set(wanted))
    if elsewhere:
        for ref, number in list(matched.items()):
            if number in elsewhere:
                del matched[ref]
                rejected.append(
                    {
                        "row": 0,
                        "reason": "number_already_assigned",
                        "message": _("This 伝票番号 is already stored on another parcel."),
                        "reference": ref,
                        "number": number,
                    }
                )
    per_parcel: dict[str, dict[int, str]] = {}
    for ref, number in matched.items():
        reference, box = box_of[ref]
        per_parcel.setdefault(reference, {})[box] = number
    with transaction.atomic():
        parcels = locks.lock_parcels(Parcel.objects.filter(batch=batch, reference__in=list(per_parcel)))
        changed, shipments, events = [], [], []
        now = timezone.now()
        for p in parcels:
            if p.boxes > 1:
                numbers = (list(p.box_numbers or []) + [""] * p.boxes)[: p.boxes]
                for box, box_number in per_parcel[p.reference].items():
                    numbers[box] = box_number
                if numbers != p.box_numbers:
                    p.box_numbers = numbers
                    changed.append(p)
                if not all(numbers):
                    continue  # the label is issued when every box has its number
                number = numbers[0]
            else:
                number = per_parcel[p.reference][0]
            if p.tracking_number == number:
                continue
            p.tracking_number = number
            if p.status == S.PACKED:
                events.append(
                    ParcelEvent(parcel=p, from_status=p.status, to_status=S.LABEL_ISSUED, at=now, by=by)
                )
                p.status = S.LABEL_ISSUED
                if p.delivery_request_id:
                    shipments.append((p.delivery_request_id, number, carrier.tracking_url(number) or ""))
            if not changed or changed[-1] is not p:
                changed.append(p)
        Parcel.objects.bulk_update(changed, ["tracking_number", "status", "box_numbers"], batch_size=1000)
        ParcelEvent.objects.bulk_create(events, batch_size=1000)
        if shipments:
            referral_services.mark_many_shipped(
                shipments=shipments, by=by if getattr(by, "pk", None) else None
            )
    rejected.sort(key=lambda r: r["row"])
    return {
        "matched": [{"reference": ref, "tracking_number": num} for ref, num in matched.items()],
        "rejected": rejected[: settings.TRACKING_IMPORT_REJECTS_SHOWN],
        "rejected_count": len(rejected),
        "rejected_by_reason": dict(sorted(Counter(r["reason"] for r in rejected).items())),
    }
