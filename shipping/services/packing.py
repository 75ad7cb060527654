"""Packing station: a box packed (stock consumed, request packed) and a batch's progress."""

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from foodbank.exceptions import InvalidTransition
from inventory import services as inventory_services
from referrals import services as referral_services

from .. import locks
from ..carriers import get_carrier
from ..models import PantryShipment, Parcel, ParcelEvent

S = Parcel.Status

PACKED_OR_LATER = (S.PACKED, S.LABEL_ISSUED, S.HANDED_OVER, S.DELIVERED)


def mark_packed(*, parcel_id: int, by: User | None = None, condition_checked: bool = True) -> Parcel:
    """A volunteer packed the box: its reserved stock is consumed, the delivery request moves to
    packed (and to shipped when the tracking number is known already). Packing twice changes
    nothing; a void or not yet batched parcel raises InvalidTransition, and so does a parcel whose
    delivery request was cancelled (do not pack it)."""
    with transaction.atomic():
        parcel = locks.lock_parcel(parcel_id)
        if parcel.status in PACKED_OR_LATER:
            return parcel
        if parcel.status != S.BATCHED:
            raise InvalidTransition(status=parcel.status, requested=S.PACKED)
        actor = by if getattr(by, "pk", None) else None
        if parcel.restock_id:
            inventory_services.mark_restock_packed(shipment_id=parcel.restock_id, packed_by=actor)
        elif parcel.stock_reserved:
            inventory_services.consume_reservation(reference=parcel.reservation_reference, recorded_by=actor)
        if parcel.delivery_request_id:
            referral_services.mark_packed(request_id=parcel.delivery_request_id, by=actor)
            if parcel.tracking_number:
                referral_services.mark_shipped(
                    request_id=parcel.delivery_request_id,
                    tracking_number=parcel.tracking_number,
                    tracking_url=get_carrier(parcel.account.carrier).tracking_url(parcel.tracking_number)
                    or "",
                    by=actor,
                )
        if parcel.pantry_id:
            PantryShipment.objects.filter(pk=parcel.pantry_id).update(status=PantryShipment.Status.PACKED)
        new = S.LABEL_ISSUED if parcel.tracking_number else S.PACKED
        # The packer's condition check (intact, in date) is kept on the packing event.
        ParcelEvent.objects.create(
            parcel=parcel,
            from_status=parcel.status,
            to_status=new,
            by=actor,
            condition_checked=condition_checked,
        )
        parcel.status = new
        parcel.packed_at = timezone.now()
        parcel.packed_by = actor
        parcel.save(update_fields=["status", "packed_at", "packed_by"])
    return parcel


def batch_counts(batch_id: int) -> dict[str, int]:
    """total / packed / left of a batch's live parcels, one query."""
    row = (
        Parcel.objects.filter(batch_id=batch_id)
        .exclude(status=S.VOID)
        .aggregate(total=Count("pk"), packed=Count("pk", filter=Q(status__in=PACKED_OR_LATER)))
    )
    return {"total": row["total"], "packed": row["packed"], "left": row["total"] - row["packed"]}


def parcels_for(ids: Iterable[int]) -> list[Parcel]:
    return list(Parcel.objects.filter(pk__in=list(ids)).order_by("pk"))
