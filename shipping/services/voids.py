"""Voiding a parcel that has not been handed over: stock back, source rebooked or cancelled."""

from django.contrib.auth.models import User
from django.db import transaction

from foodbank.exceptions import InvalidTransition
from inventory import services as inventory_services
from referrals import services as referral_services

from .. import locks
from ..carriers import get_carrier
from ..models import BatchDocument, PantryShipment, Parcel, ParcelEvent
from .batch_documents import refresh_batch_documents
from .packing import PACKED_OR_LATER

S = Parcel.Status
K = BatchDocument.Kind

VOIDABLE = (S.BOOKED, S.BATCHED, S.PACKED, S.LABEL_ISSUED)


def void_parcel(*, parcel_id: int, by: User | None, reason: str, note: str = "") -> tuple[Parcel, str]:
    """A coordinator voids a parcel that has not been handed over. Returns the parcel and what staff
    must still do by hand at the carrier ("" when nothing).

    In one transaction, locking the parcel, then the batch (the order ``build_chunk`` takes them:
    its parcels, then the batch row it counts chunks on), then what the other apps lock: the
    parcel becomes ``void`` with one event; its stock goes back (an active reservation is released
    with ``inventory.services.release_reservation``; a packed box is unpacked with
    ``return_packed_stock``); what it was made for leaves the batch — with
    ``reason="rebook"`` a delivery request is approved again and a restock or pantry shipment
    approved again, so the next batch books a new parcel; with ``reason="cancel"`` they are
    cancelled; and the batch's documents are written again without it. After commit the
    carrier's ``void`` says what is left to do there (file-based carriers cannot cancel remotely).

    Voiding twice changes nothing (one event). A handed-over or delivered parcel raises
    InvalidTransition with nothing changed.
    """
    if reason not in Parcel.VoidReason.values:
        raise ValueError(f"Unknown void reason {reason!r}")
    cancel = reason == Parcel.VoidReason.CANCEL
    actor = by if getattr(by, "pk", None) else None
    with transaction.atomic():
        parcel = locks.lock_parcel(parcel_id)
        if parcel.status == S.VOID:
            return parcel, ""
        if parcel.status not in VOIDABLE:
            raise InvalidTransition(status=parcel.status, requested=S.VOID)
        batch = locks.lock_batch(parcel.batch_id) if parcel.batch_id else None
        packed = parcel.status in PACKED_OR_LATER
        exported = bool(
            batch and BatchDocument.objects.filter(batch=batch, kind__in=(K.CARRIER_CSV, K.LABELS)).exists()
        )
        if parcel.restock_id:
            if packed:
                inventory_services.unpack_restock(shipment_id=parcel.restock_id, recorded_by=actor)
            else:
                inventory_services.unbook_restock(shipment_id=parcel.restock_id)
            if cancel:
                inventory_services.cancel_restock(shipment_id=parcel.restock_id)
        elif packed:
            inventory_services.return_packed_stock(reference=parcel.reservation_reference, recorded_by=actor)
        elif parcel.stock_reserved:
            inventory_services.release_reservation(reference=parcel.reservation_reference)
        if parcel.delivery_request_id:
            referral_services.release_from_dispatch(
                request_id=parcel.delivery_request_id, by=actor, cancel=cancel, note=note
            )
        if parcel.pantry_id:
            PantryShipment.objects.filter(pk=parcel.pantry_id).update(
                status=PantryShipment.Status.CANCELLED if cancel else PantryShipment.Status.APPROVED
            )
        ParcelEvent.objects.create(
            parcel=parcel,
            from_status=parcel.status,
            to_status=S.VOID,
            by=actor,
            note=f"{reason}: {note}"[:200],
        )
        parcel.status = S.VOID
        parcel.stock_reserved = False
        parcel.save(update_fields=["status", "stock_reserved"])
        if batch is not None:
            refresh_batch_documents(batch)
    result = get_carrier(parcel.account.carrier).void(
        parcel.as_data(), exported=exported, tracking_number=parcel.tracking_number or ""
    )
    return parcel, "" if result.done else result.instructions
