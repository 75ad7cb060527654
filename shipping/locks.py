"""Row locks of the shipping domain. Order across tables: batch → chunk → parcels (pk order) →
what other apps lock (delivery requests, reservations, balances)."""

from typing import Any

from django.db.models import QuerySet

from .models import BatchChunk, DispatchBatch, Parcel


def lock_batch(pk: int) -> DispatchBatch:
    return DispatchBatch.objects.select_for_update(of=("self",)).select_related("account").get(pk=pk)


def lock_chunk(batch_id: int, index: int) -> BatchChunk | None:
    rows = list(BatchChunk.objects.select_for_update(of=("self",)).filter(batch_id=batch_id, index=index))
    return rows[0] if rows else None


def lock_parcels(queryset: QuerySet[Parcel]) -> list[Parcel]:
    return list(queryset.order_by("pk").select_for_update(of=("self",)))


def lock_parcel_rows(queryset: QuerySet[Parcel], *fields: str) -> list[tuple[Any, ...]]:
    """Lock the parcels (pk order) and read only ``fields`` of each: a batch's chunk locks thousands,
    and full rows would decrypt every phone number for nothing."""
    return list(queryset.order_by("pk").select_for_update(of=("self",)).values_list(*fields))


def lock_parcel(pk: int) -> Parcel:
    return Parcel.objects.select_for_update(of=("self",)).select_related("account").get(pk=pk)
