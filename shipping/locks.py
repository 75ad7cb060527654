"""Row locks of the shipping domain. Order across tables: batch → pantry shipments (pk order) →
chunk → parcels (pk order) → what other apps lock (delivery requests, reservations, balances)."""

from typing import Any

from django.db.models import QuerySet

from .models import BatchChunk, DispatchBatch, PantryShipment, Parcel


def lock_batch(pk: int) -> DispatchBatch:
    return DispatchBatch.objects.select_for_update(of=("self",)).select_related("account").get(pk=pk)


def lock_chunk(batch_id: int, index: int) -> BatchChunk | None:
    rows = list(
        BatchChunk.objects.select_for_update(of=("self",))
        .filter(batch_id=batch_id, index=index)
        .order_by("pk")
    )
    return rows[0] if rows else None


def lock_parcels(queryset: QuerySet[Parcel]) -> list[Parcel]:
    return list(queryset.order_by("pk").select_for_update(of=("self",)))


def lock_parcel_rows(queryset: QuerySet[Parcel], *fields: str) -> list[tuple[Any, ...]]:
    """Lock the parcels (pk order) and read only ``fields`` of each: a batch's chunk locks thousands,
    and full rows would decrypt every phone number for nothing."""
    return list(queryset.order_by("pk").select_for_update(of=("self",)).values_list(*fields))


def lock_parcel(pk: int) -> Parcel:
    return Parcel.objects.select_for_update(of=("self",)).select_related("account").get(pk=pk)


def lock_approved_pantry_shipments(food_bank_id: int) -> list[PantryShipment]:
    """Lock the food bank's approved pantry shipments in primary-key order, with partner and pack type."""
    return list(
        PantryShipment.objects.select_for_update(of=("self",))
        .filter(food_bank_id=food_bank_id, status=PantryShipment.Status.APPROVED)
        .select_related("partner", "pack_type")
        .order_by("pk")
    )
