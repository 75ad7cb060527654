"""Erasure (called by referrals.retention): parcels' recipient snapshots, old batch documents."""

from collections.abc import Iterable
from datetime import date
from functools import partial

from django.core.files.storage import default_storage
from django.db import transaction

from .. import locks
from ..models import BatchDocument, Parcel, ParcelEvent

ERASED_PARCEL_FIELDS = (
    "recipient_name",
    "recipient_name_kana",
    "recipient_company",
    "recipient_phone",
    "postal_code",
    "address",
    "building",
    "tracking_number",
    "packing",
)


def anonymise_parcels(*, delivery_request_ids: Iterable[int]) -> int:
    """Erase the recipient snapshot of the parcels of these (closed, anonymised) delivery requests:
    name, kana, company, phone, postal code, address, building, tracking number, and the allergies
    (text, codes, and the alternatives and substitutions chosen for them) and notes in the packing
    data (contents and extras stay: the reports count
    pack types). Call it inside the transaction that anonymises the requests. Returns how many
    parcels changed; a parcel already erased is not changed again."""
    parcels = locks.lock_parcels(Parcel.objects.filter(delivery_request_id__in=list(delivery_request_ids)))
    changed = []
    for parcel in parcels:
        packing = dict(parcel.packing or {})
        packing["allergies"] = ""
        # The household's allergen codes, and the allergen-free alternatives and substitutions
        # packing chose for them (each names the allergens), go with its allergies.
        for key in ("allergens", "alternatives", "substitutions"):
            packing.pop(key, None)
        packing["notes"] = []
        values = {
            "recipient_name": "",
            "recipient_name_kana": "",
            "recipient_company": "",
            "recipient_phone": "",
            "postal_code": "",
            "address": "",
            "building": "",
            "tracking_number": None,
            "packing": packing,
        }
        if all(getattr(parcel, name) == value for name, value in values.items()):
            continue
        for name, value in values.items():
            setattr(parcel, name, value)
        changed.append(parcel)
    if changed:
        Parcel.objects.bulk_update(changed, list(ERASED_PARCEL_FIELDS), batch_size=500)
        ParcelEvent.objects.filter(parcel__in=changed).exclude(note="").update(note="")
    return len(changed)


def purge_batch_documents(*, shipped_before: date) -> int:
    """Delete the files (labels, carrier CSV, slips, pick list, manifest: names and addresses) of
    dispatch batches that shipped before ``shipped_before``; the batch and its parcels stay.
    Returns how many documents were deleted."""
    documents_qs = BatchDocument.objects.filter(batch__ship_date__lt=shipped_before).order_by("pk")
    deleted = 0
    for document in documents_qs.iterator():
        name = document.file.name
        with transaction.atomic():
            BatchDocument.objects.filter(pk=document.pk).delete()
            # The file goes once the row is surely gone (a rollback keeps both).
            if name:
                transaction.on_commit(partial(default_storage.delete, name))
        deleted += 1
    return deleted
