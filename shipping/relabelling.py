"""Re-labelling a parcel after its delivery request was corrected (docs/journeys.md).

A coordinator corrects a scheduled request (a wrong room number, a new phone, a date): referrals
owns the correction (``referrals.corrections.correct_request``) and asks, through
``referrals.handover`` (registered in ``ShippingConfig.ready``), first to hold the request's live
parcel (``hold_requests``, before the request is locked: shipping's lock order parcel → batch →
delivery request), then to rebuild it from the corrected request (``relabel_requests``).

The parcel keeps its reference, batch and status; its label (name, phone, postal code, address,
time slot, delivery date) and packing data are taken again from the request, exactly as booking
takes them (``services._request_parcel``). Contents that changed (days of food, allergies) are
reserved again. The batch's documents are written again (pick list, slips, labels, B2 CSV), and a
label already issued at the carrier is forgotten (its tracking number belonged to the old data):
the batch page tells the coordinator what to do there, as it does for a voided parcel. Packed
parcels are never touched: a correction is refused before (the request is packed with its box).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import translation

from inventory import allergens, sizing
from inventory import services as inventory_services
from inventory.models import PackType
from inventory.services import StockNeed
from referrals import selectors as referral_selectors

from . import locks
from .alternatives import allergen_packing, tell_case_workers, with_alternatives
from .carriers import get_carrier
from .models import BatchDocument, DispatchBatch, Parcel, ParcelEvent
from .services import _mark_substitutions, _request_parcel, refresh_batch_documents

S = Parcel.Status
# Before packing a parcel is only paper and a reservation: it can be made again in place.
RELABELLABLE = (S.BOOKED, S.BATCHED)
# The note prefix of a re-labelling's parcel event (``ParcelEvent`` has no kind of its own).
NOTE_PREFIX = "relabel:"
# What booking takes from the request, and a correction may therefore change.
_TAKEN_FROM_REQUEST = (
    "recipient_name",
    "recipient_name_kana",
    "recipient_phone",
    "postal_code",
    "address",
    "building",
    "time_slot",
    "delivery_date",
    "packing",
    "stock_needs",
    "boxes",
)


@dataclass(frozen=True)
class Relabelled:
    """A parcel rebuilt from its corrected request, and what staff must still do at the carrier
    ("" if nothing)."""

    parcel_id: int
    reference: str
    request_id: int
    carrier_instructions: str


def _live(request_ids: Iterable[int]):
    return Parcel.objects.filter(delivery_request_id__in=sorted(set(request_ids)), status__in=RELABELLABLE)


def hold_requests(*, request_ids: Iterable[int]) -> None:
    """Lock the live, not yet packed parcels of ``request_ids`` (pk order), then their batches."""
    parcels = locks.lock_parcels(_live(request_ids))
    for batch_id in dict.fromkeys(p.batch_id for p in parcels if p.batch_id):
        locks.lock_batch(batch_id)


def relabel_requests(*, request_ids: Iterable[int], by, fields: list[str]) -> list[Relabelled]:
    """Rebuild the live, not yet packed parcels of the corrected ``request_ids`` in the caller's
    transaction (see the module doc); returns what was re-labelled."""
    ids = sorted(set(request_ids))
    actor = by if getattr(by, "pk", None) else None
    done: list[Relabelled] = []
    with transaction.atomic():
        parcels = [p for p in locks.lock_parcels(_live(ids).select_related("account")) if p.batch_id]
        if not parcels:
            return []
        views = {v.request_id: v for v in referral_selectors.packing_views(request_ids=ids)}
        batches: dict[int, DispatchBatch] = {}
        for parcel in parcels:
            view = views.get(parcel.delivery_request_id)
            if view is None:
                continue
            batch = batches.get(parcel.batch_id) or locks.lock_batch(parcel.batch_id)
            batches[batch.pk] = batch
            exported = BatchDocument.objects.filter(
                batch=batch, kind__in=(BatchDocument.Kind.CARRIER_CSV, BatchDocument.Kind.LABELS)
            ).exists()
            # every box's number: each label printed with the old data is deleted at the carrier
            old_tracking = "、".join(
                parcel.box_numbers or ([parcel.tracking_number] if parcel.tracking_number else [])
            )
            _rebuild(parcel, batch, view)
            ParcelEvent.objects.create(
                parcel=parcel,
                from_status=parcel.status,
                to_status=parcel.status,
                by=actor,
                note=_note(fields, old_tracking),
            )
            done.append(
                Relabelled(
                    parcel_id=parcel.pk,
                    reference=parcel.reference,
                    request_id=parcel.delivery_request_id,
                    carrier_instructions=_instructions(
                        parcel, exported=exported, tracking_number=old_tracking
                    ),
                )
            )
        for batch in batches.values():
            refresh_batch_documents(batch)
    return done


def _rebuild(parcel: Parcel, batch: DispatchBatch, view) -> None:
    """Take the parcel's label and packing data again from the request, as booking does; reserve
    its stock again when what goes in the box changed."""
    pack_types = list(PackType.objects.filter(food_bank_id=batch.food_bank_id, active=True))
    rule = sizing.rule_for(food_bank_id=batch.food_bank_id, pack_types=pack_types)
    # The batch's documents are in the installation's language, whoever corrects.
    with translation.override(settings.LANGUAGE_CODE):
        fresh = _request_parcel(batch, view, rule)
    old_packing = parcel.packing or {}
    contents_changed = [list(x) for x in fresh.stock_needs] != [
        list(x) for x in parcel.stock_needs or []
    ] or (
        allergens.avoided(fresh.packing.get("allergens"), fresh.packing.get("allergies"))
        != allergens.avoided(old_packing.get("allergens"), old_packing.get("allergies"))
    )
    for name in _TAKEN_FROM_REQUEST:
        setattr(parcel, name, getattr(fresh, name))
    parcel.packing = dict(fresh.packing)
    # The carrier's number belonged to the label printed with the old data.
    parcel.tracking_number = None
    parcel.box_numbers = []
    update = [*_TAKEN_FROM_REQUEST, "tracking_number", "box_numbers"]
    if parcel.status == S.BATCHED:
        update += _reserve_again(parcel, batch, pack_types, old_packing, changed=contents_changed)
    parcel.save(update_fields=sorted(set(update)))
    if parcel.status == S.BATCHED:  # the case worker sees what packing now does about the allergies
        packing = parcel.packing or {}
        names = {pt.code: pt.name for pt in pack_types}
        tell_case_workers(
            {
                parcel.pk: allergen_packing(
                    packing.get("alternatives", []) if parcel.stock_reserved else [],
                    packing.get("substitutions", []) if parcel.stock_reserved else [],
                    names,
                )
            }
        )


def _reserve_again(parcel: Parcel, batch: DispatchBatch, pack_types, old_packing: dict, *, changed: bool):
    """A batched parcel holds a reservation for its old contents: keep it when the contents are the
    same (with its allergen-free alternatives and substitutions), otherwise release it and reserve
    the new contents FEFO, avoiding the household's allergens (a shortage is shown to the packer as
    at booking)."""
    by_id = {pt.pk: pt for pt in pack_types}
    if not changed:
        if old_packing.get("alternatives"):  # the reservation still holds them
            parcel.packing = with_alternatives(parcel.packing, old_packing["alternatives"])
        if old_packing.get("substitutions"):
            parcel.packing["substitutions"] = old_packing["substitutions"]
            _apply_substitutions(parcel, {parcel.reservation_reference: old_packing["substitutions"]}, by_id)
        return []
    if parcel.stock_reserved:
        inventory_services.release_reservation(reference=parcel.reservation_reference)
    parcel.stock_reserved = False
    parcel.stock_problem = []
    packing = parcel.packing
    avoid = frozenset(allergens.avoided(packing.get("allergens"), packing.get("allergies")))
    needs = [
        StockNeed(
            pack_type=by_id[pt],
            quantity=q,
            avoid=avoid,
        )
        for pt, q in parcel.stock_needs
        if pt in by_id
    ]
    if needs:
        try:
            warehouse = inventory_services.default_warehouse(batch.food_bank_id)
        except Exception:  # no warehouse configured: nothing to reserve from (as build_chunk)
            warehouse = None
        if warehouse is None:
            parcel.stock_problem = [{"sku": "", "requested": 0, "available": 0, "code": "no_warehouse"}]
        else:
            key = parcel.reservation_reference
            result = inventory_services.reserve_stock_many(site=warehouse, needs={key: needs})
            if key in result.reserved:
                parcel.stock_reserved = True
                if result.alternatives.get(key):
                    parcel.packing = with_alternatives(parcel.packing, result.alternatives[key])
                if result.substitutions.get(key):
                    _apply_substitutions(parcel, result.substitutions, by_id)
            elif key in result.shortages:
                parcel.stock_problem = result.shortages[key]
    return ["stock_reserved", "stock_problem"]


def _apply_substitutions(parcel: Parcel, substitutions: dict, pack_types_by_id: dict) -> None:
    """The slip's allergen notes for ``substitutions``, written as ``build_chunk`` writes them."""
    rows = [(parcel.pk, parcel.reference, parcel.stock_needs, parcel.stock_reserved, parcel.packing)]
    _mark_substitutions(rows, substitutions, pack_types_by_id)
    parcel.packing = Parcel.objects.values_list("packing", flat=True).get(pk=parcel.pk)


def _note(fields: list[str], old_tracking: str) -> str:
    note = f"{NOTE_PREFIX} {','.join(fields)}"
    return (f"{note} #{old_tracking}" if old_tracking else note)[:200]


def _instructions(parcel: Parcel, *, exported: bool, tracking_number: str) -> str:
    result = get_carrier(parcel.account.carrier).relabel(
        parcel.as_data(), exported=exported, tracking_number=tracking_number
    )
    return "" if result.done else str(result.instructions)


def relabelled_in_batch(batch_id: int) -> list[dict]:
    """For the batch page: the batch's parcels re-labelled after a correction, newest first, with
    what staff must do at the carrier. Reads references and field names, no personal data."""
    rows = []
    events = (
        ParcelEvent.objects.filter(parcel__batch_id=batch_id, note__startswith=NOTE_PREFIX)
        .select_related("parcel__account")
        .order_by("-at", "-pk")
    )
    for event in events:
        body = event.note[len(NOTE_PREFIX) :].strip()
        fields, _sep, tracking = body.partition(" #")
        rows.append(
            {
                "reference": event.parcel.reference,
                "at": event.at,
                "fields": [f for f in fields.split(",") if f],
                # Whatever had been taken to the carrier before the correction holds the old data.
                "carrier_instructions": _instructions(event.parcel, exported=True, tracking_number=tracking),
            }
        )
    return rows
