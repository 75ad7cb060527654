"""Withdrawing delivery requests from dispatch: a change after scheduling reaches the box.

A case worker cancels, a coordinator declines, or the person withdraws the consent the request
depends on, after the cutoff booked its parcel. ``referrals`` owns those decisions and calls
``withdraw_requests`` (through ``referrals.handover.dispatch``, which shipping registers in
``ShippingConfig.ready``) *before* it locks the requests, so that the locks are taken in the order
every other shipping write takes them: parcel → batch → delivery request (``shipping.locks``).

Withdrawing a parcel voids it in the caller's transaction: its stock reservation is released, the
batch's documents (pick list, packing slips, B2 CSV, manifest) are written again without it, the
packing station shows 「出荷取消：箱を取り分けてください」 if a slip was already printed, and the batch
page lists it with what staff must still do in B2 Cloud (docs/journeys.md). Packed boxes are left
alone: the request's own transition then refuses the change (409 ``invalid_transition``, as a
cancellation after packing always was).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from inventory import services as inventory_services

from . import locks
from .carriers import get_carrier
from .models import BatchDocument, DispatchBatch, Parcel, ParcelEvent
from .services import refresh_batch_documents

S = Parcel.Status
# Before packing a parcel is only paper and a reservation: it can be taken out of the batch.
WITHDRAWABLE = (S.BOOKED, S.BATCHED)


@dataclass(frozen=True)
class Withdrawn:
    """A parcel taken out of its batch, and what staff must still do at the carrier ("" if nothing)."""

    parcel_id: int
    reference: str
    request_id: int
    carrier_instructions: str


def withdraw_requests(*, request_ids: Iterable[int], by, note: str) -> list[Withdrawn]:
    """Void the live, not yet packed parcels of ``request_ids`` (the requests are the caller's to
    change). Locks those parcels (pk order), then each one's batch; releases their reservations
    (``inventory.services.release_reservation``) and rebuilds their batches' documents
    (``services.refresh_batch_documents``: tasks enqueued on commit through the outbox). Leaves
    packed parcels and the requests untouched. Call inside the caller's transaction."""
    ids = sorted(set(request_ids))
    if not ids:
        return []
    actor = by if getattr(by, "pk", None) else None
    withdrawn: list[Withdrawn] = []
    with transaction.atomic():
        live = Parcel.objects.filter(delivery_request_id__in=ids, status__in=WITHDRAWABLE)
        parcels = locks.lock_parcels(live.select_related("account"))
        batches: dict[int, DispatchBatch] = {}
        exported = set(
            BatchDocument.objects.filter(
                batch_id__in={p.batch_id for p in parcels},
                kind__in=(BatchDocument.Kind.CARRIER_CSV, BatchDocument.Kind.LABELS),
            ).values_list("batch_id", flat=True)
        )
        for parcel in parcels:
            if parcel.batch_id and parcel.batch_id not in batches:
                batches[parcel.batch_id] = locks.lock_batch(parcel.batch_id)
            instructions = carrier_instructions(parcel, exported=parcel.batch_id in exported)
            if parcel.stock_reserved:
                inventory_services.release_reservation(reference=parcel.reservation_reference)
            ParcelEvent.objects.create(
                parcel=parcel,
                from_status=parcel.status,
                to_status=S.VOID,
                by=actor,
                note=f"{Parcel.VoidReason.CANCEL}: {note}"[:200],
            )
            parcel.status = S.VOID
            parcel.stock_reserved = False
            parcel.save(update_fields=["status", "stock_reserved"])
            withdrawn.append(
                Withdrawn(
                    parcel_id=parcel.pk,
                    reference=parcel.reference,
                    request_id=parcel.delivery_request_id,
                    carrier_instructions=instructions,
                )
            )
        for batch in batches.values():
            refresh_batch_documents(batch)
    return withdrawn


def carrier_instructions(parcel: Parcel, *, exported: bool) -> str:
    """What staff must still do at the carrier for a voided parcel ("" when nothing): B2 Cloud is
    file based, so a CSV already taken there holds the row until someone deletes it."""
    result = get_carrier(parcel.account.carrier).void(
        parcel.as_data(), exported=exported, tracking_number=parcel.tracking_number or ""
    )
    return "" if result.done else result.instructions


def withdrawn_in_batch(batch_id: int) -> list[dict]:
    """For the batch page: the batch's parcels taken out after scheduling, newest first, with what
    staff must do at the carrier. Reads references and notes, no personal data."""
    rows = []
    voided = (
        ParcelEvent.objects.filter(parcel__batch_id=batch_id, to_status=S.VOID)
        .select_related("parcel__account")
        .order_by("-at", "-pk")
    )
    for event in voided:
        rows.append(
            {
                "reference": event.parcel.reference,
                "at": event.at,
                "note": event.note,
                # The documents were rebuilt without it: whatever had been taken to B2 Cloud stays there.
                "carrier_instructions": carrier_instructions(event.parcel, exported=True),
            }
        )
    return rows
