"""Hand-over to the courier, partner or driver, and delivery."""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from foodbank.exceptions import InvalidTransition
from referrals import services as referral_services

from .. import locks
from ..models import CarrierAccount, Parcel, ParcelEvent

S = Parcel.Status


def handed_over_statuses(account: CarrierAccount) -> tuple[str, ...]:
    """Which packed parcels go to the courier: with Yamato only those whose B2 label was issued (a
    box without its label cannot be picked up); with the local carrier every packed one."""
    return (S.LABEL_ISSUED,) if account.carrier == "yamato" else (S.PACKED, S.LABEL_ISSUED)


def mark_handed_over(*, batch_id: int, by: User | None = None) -> int:
    """The courier (or the partner, or the driver) took the batch's packed boxes: every parcel ready
    to go (``handed_over_statuses``) becomes ``handed_over`` with an event. Delivery requests
    without a tracking number (hand delivery, pick-up) move to shipped here; those with one moved
    when their label was issued. Locks the parcels (pk order), then the requests; not the batch
    (``void_parcel`` takes a parcel, then the batch). Handing over twice changes nothing; returns
    the number of parcels handed over now. Parcels not ready stay as they are."""
    actor = by if getattr(by, "pk", None) else None
    account = CarrierAccount.objects.get(batches__pk=batch_id)
    with transaction.atomic():
        parcels = locks.lock_parcels(
            Parcel.objects.filter(batch_id=batch_id, status__in=handed_over_statuses(account))
        )
        now = timezone.now()
        events = [
            ParcelEvent(parcel=p, from_status=p.status, to_status=S.HANDED_OVER, at=now, by=actor)
            for p in parcels
        ]
        untracked = [
            (p.delivery_request_id, "", "")
            for p in parcels
            if p.delivery_request_id and not p.tracking_number
        ]
        for p in parcels:
            p.status = S.HANDED_OVER
        Parcel.objects.bulk_update(parcels, ["status"], batch_size=1000)
        ParcelEvent.objects.bulk_create(events, batch_size=1000)
        if untracked:
            referral_services.mark_many_shipped(shipments=untracked, by=actor)
    return len(parcels)


def mark_delivered(*, parcel_id: int, by: User | None = None) -> Parcel:
    """The parcel arrived (the courier's tracking says so, or the driver or partner confirms):
    handed_over → delivered with an event, and its delivery request shipped → delivered. Locks the
    parcel, then the request. Twice changes nothing; from any other status InvalidTransition."""
    actor = by if getattr(by, "pk", None) else None
    with transaction.atomic():
        parcel = locks.lock_parcel(parcel_id)
        if parcel.status == S.DELIVERED:
            return parcel
        if parcel.status != S.HANDED_OVER:
            raise InvalidTransition(status=parcel.status, requested=S.DELIVERED)
        if parcel.delivery_request_id:
            referral_services.mark_delivered(request_id=parcel.delivery_request_id, by=actor)
        ParcelEvent.objects.create(parcel=parcel, from_status=parcel.status, to_status=S.DELIVERED, by=actor)
        parcel.status = S.DELIVERED
        parcel.save(update_fields=["status"])
    return parcel
