"""After the hand-over: parcels reach delivered or returned in normal use (docs/journeys.md).

- A coordinator marks parcels delivered or returned in bulk from the batch page (by reference), or
  one at a time through the API (``POST /api/v1/parcels/{id}/delivered/`` · ``…/returned/``).
- A returned parcel's undamaged packs go back into stock once, with ``correction`` movements whose
  reason is ``returned`` (``inventory.services.return_packed_stock``); a damaged box's do not.
- A daily job closes as delivered every parcel handed over more than
  ``settings.DELIVERY_ASSUMED_AFTER_DAYS`` days ago with no return, so its case closes and the
  retention job (referrals.retention) can erase it afterwards.

Each delivery request follows its parcel: shipped → delivered or returned (the case worker is
emailed about a return, and sees both on the request's page and in the API).
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from foodbank.exceptions import InvalidTransition
from inventory import services as inventory_services
from inventory.models import ReasonCode
from referrals import services as referral_services

from . import locks
from .models import Parcel, ParcelEvent
from .services import mark_delivered

S = Parcel.Status
# A box that left the warehouse and can come back: with Yamato after its label, or handed over.
RETURNABLE = (S.LABEL_ISSUED, S.HANDED_OVER)


def mark_returned(*, parcel_id: int, by, damaged: bool = False, note: str = "") -> Parcel:
    """The courier brought the box back (nobody home, refused, wrong address): label_issued or
    handed_over → returned with an event; unless ``damaged`` its packs go back into the lots they
    came from (movements with reason ``returned``); its delivery request shipped → returned (the
    case worker is emailed). Locks the parcel, then the reservation and lots, then the request.
    Twice changes nothing (the packs come back once); other statuses raise InvalidTransition."""
    actor = by if getattr(by, "pk", None) else None
    with transaction.atomic():
        parcel = locks.lock_parcel(parcel_id)
        if parcel.status == S.RETURNED:
            return parcel
        if parcel.status not in RETURNABLE:
            raise InvalidTransition(status=parcel.status, requested=S.RETURNED)
        if not damaged and not parcel.restock_id:
            inventory_services.return_packed_stock(
                reference=parcel.reservation_reference, recorded_by=actor, reason=ReasonCode.RETURNED
            )
        if parcel.delivery_request_id:
            referral_services.mark_returned(request_id=parcel.delivery_request_id, by=actor, reason=note)
        event_note = ("damaged: " if damaged else "") + note
        ParcelEvent.objects.create(
            parcel=parcel, from_status=parcel.status, to_status=S.RETURNED, by=actor, note=event_note[:200]
        )
        parcel.status = S.RETURNED
        parcel.save(update_fields=["status"])
    return parcel


def mark_outcomes(*, batch_id: int, references: Iterable[str], outcome: str, by) -> dict:
    """The batch page's bulk form: mark the named parcels of the batch ``delivered`` or
    ``returned`` (undamaged). Returns ``{"done": [references], "refused": [{reference, reason}]}``;
    one parcel's refusal does not stop the others (each is its own transaction)."""
    wanted = [r.strip() for r in references if r.strip()]
    found = dict(
        Parcel.objects.filter(batch_id=batch_id, reference__in=wanted).values_list("reference", "pk")
    )
    done, refused = [], []
    for reference in dict.fromkeys(wanted):
        pk = found.get(reference)
        if pk is None:
            refused.append({"reference": reference, "reason": "not_in_batch"})
            continue
        try:
            if outcome == S.RETURNED:
                mark_returned(parcel_id=pk, by=by)
            else:
                mark_delivered(parcel_id=pk, by=by)
        except InvalidTransition as exc:
            refused.append({"reference": reference, "reason": str(exc.extra.get("status", "status"))})
            continue
        done.append(reference)
    return {"done": done, "refused": refused}


def close_delivered(*, now: datetime | None = None) -> int:
    """The daily job: parcels handed over more than ``DELIVERY_ASSUMED_AFTER_DAYS`` days ago and
    neither delivered nor returned since are delivered (the courier returns what it cannot deliver
    within a week). Returns how many. One transaction per parcel, as the coordinator's mark."""
    now = now or timezone.now()
    before = now - timedelta(days=settings.DELIVERY_ASSUMED_AFTER_DAYS)
    handed_long_ago = ParcelEvent.objects.filter(
        parcel_id=OuterRef("pk"), to_status=S.HANDED_OVER, at__lt=before
    )
    ids = list(
        Parcel.objects.filter(status=S.HANDED_OVER)
        .filter(Exists(handed_long_ago))
        .values_list("pk", flat=True)
    )
    closed = 0
    for pk in ids:
        try:
            mark_delivered(parcel_id=pk, by=None)
        except InvalidTransition:  # returned or voided meanwhile
            continue
        closed += 1
    return closed
