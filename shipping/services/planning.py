"""Step 1: booking one parcel per bookable source (requests, restocks, pantry) into chunks."""

import logging
import math
from typing import TypedDict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory import selectors as inventory_selectors
from inventory import services as inventory_services
from inventory import sizing
from inventory.exceptions import InsufficientStock
from inventory.models import PackType, RestockShipment
from inventory.sizing import PackSize, size_for
from referrals import selectors as referral_selectors
from referrals import services as referral_services
from referrals.handover import PackingView
from referrals.models import DeliveryRequest
from referrals.validation import display_phone

from .. import locks
from ..models import BatchChunk, DispatchBatch, PantryShipment, Parcel
from .batches import _enqueue_remaining, dispatch_chunks, document_kinds
from .bulk import _insert_parcels, _log_events, _new_parcel

logger = logging.getLogger(__name__)

S = Parcel.Status
B = DispatchBatch.Status


class PackedLine(TypedDict):
    """A line of a parcel's ``packing["contents"]`` (read back as ``carriers.ContentLine``)."""

    name: str
    quantity: int
    pack_type: str
    code: str


def _line(pack_type: PackType, quantity: int = 1) -> PackedLine:
    return {"name": pack_type.name, "quantity": quantity, "pack_type": pack_type.code, "code": pack_type.code}


def _request_parcel(batch: DispatchBatch, view: PackingView, rule: list[PackSize]) -> Parcel:
    label = view.label
    # Food for the household's people and the days asked, under the food bank's rule.
    sizing = size_for(people=view.household_size, days=view.days_needed, rule=rule)
    per_box = {size.pack_type.pk: size.max_per_box for size in rule}
    # The typed hand-over (referrals.handover.ExtraWanted): item and size reach the slip, the
    # station and the pick list (totalled by item and size), written in the active language.
    extras = [
        {
            "name": extra.label,
            "quantity": extra.quantity,
            "code": extra.code,
            "item": extra.item,
            "size": extra.size,
        }
        for extra in view.extras
    ]
    notes: list[str] = []
    if view.dietary_note:
        notes.append(view.dietary_note[:60])
    if view.children_ages:
        notes.append(_("Children aged %(ages)s") % {"ages": "・".join(str(a) for a in view.children_ages)})
    if sizing.boxes > 1:
        notes.append(_("Pack in %(boxes)d boxes") % {"boxes": sizing.boxes})
    if label and not label.phone:
        # B2 Cloud needs a number on the label: the filing agency's (docs/shipping-b2.md).
        notes.append(_("No phone: the label carries the filing agency's number"))
    own_phone = display_phone(label.phone) if label and label.phone else ""
    phone = own_phone or (label.agency_phone if label else "")
    source = (
        Parcel.Source.RECURRING
        if view.source == DeliveryRequest.Source.PROGRAMME
        else Parcel.Source.DELIVERY_REQUEST
    )
    address = (
        " ".join(x for x in (label.prefecture + label.municipality, label.address) if x) if label else ""
    )
    return _new_parcel(
        food_bank_id=batch.food_bank_id,
        account_id=batch.account_id,
        batch_id=batch.pk,
        reference=f"{batch.reference}-R{view.request_id}",
        source=source,
        source_key=f"request:{view.request_id}",
        delivery_request_id=view.request_id,
        recipient_name=label.name if label else "",
        recipient_name_kana=label.name_kana if label else "",
        recipient_phone=phone,
        postal_code=label.postal_code if label else "",
        address=address,
        building=label.building if label else "",
        time_slot=view.time_slot or "",
        ship_date=batch.ship_date,
        delivery_date=view.delivery_date,
        packing={
            # per_box: how the per-box slips divide the packs as the boxes were counted (shipping.boxes)
            "contents": [
                {**_line(pack_type, quantity), "per_box": per_box[pack_type.pk]}
                for pack_type, quantity in sizing.lines
            ],
            "extras": extras,
            "allergies": view.allergies or "",
            # Codes packing avoids (ticked ∪ read from the text): reservations skip lots with them.
            "allergens": list(view.allergens),
            "no_cook": bool(view.no_cook),
            "notes": notes,
        },
        stock_needs=[[pack_type.pk, quantity] for pack_type, quantity in sizing.lines],
        boxes=max(sizing.boxes, 1),
    )


# Printed instead of a confidential site's name (a window run by a DV shelter): the box says
# neither who sends (the account's sender is neutral, CarrierAccount.clean) nor where it goes.
CONFIDENTIAL_RECIPIENT_NAME = "ご担当者"


def _restock_parcel(batch: DispatchBatch, shipment: RestockShipment) -> Parcel:
    site = shipment.to_site
    lines = [_line(line.pack_type, line.quantity) for line in shipment.lines.all()]
    if site.is_confidential:
        name, company = CONFIDENTIAL_RECIPIENT_NAME, ""
    else:
        name, company = site.name, site.organisation.name
    return Parcel(
        food_bank_id=batch.food_bank_id,
        account_id=batch.account_id,
        batch=batch,
        reference=f"{batch.reference}-W{shipment.pk}",
        source=Parcel.Source.RESTOCK,
        source_key=f"restock:{shipment.pk}",
        restock_id=shipment.pk,
        recipient_name=name,
        recipient_company=company,
        recipient_phone=site.organisation.phone,
        postal_code=site.postal_code,
        address=f"{site.prefecture}{site.municipality} {site.address}",
        ship_date=batch.ship_date,
        packing={"contents": lines, "extras": [], "allergies": "", "no_cook": False, "notes": []},
        stock_reserved=True,  # mark_restock_booked reserved it under restock:<id>
    )


def _pantry_parcel(batch: DispatchBatch, shipment: PantryShipment) -> Parcel:
    notes = [shipment.note] if shipment.note else []
    return Parcel(
        food_bank_id=batch.food_bank_id,
        account_id=batch.account_id,
        batch=batch,
        reference=f"{batch.reference}-P{shipment.pk}",
        source=Parcel.Source.PANTRY,
        source_key=f"pantry:{shipment.pk}",
        pantry=shipment,
        recipient_name=shipment.contact_name,
        recipient_company=shipment.partner.name,
        recipient_phone=shipment.phone,
        postal_code=shipment.postal_code,
        address=shipment.address,
        building=shipment.building,
        ship_date=batch.ship_date,
        packing={
            "contents": [_line(shipment.pack_type, shipment.quantity)],
            "extras": [],
            "allergies": "",
            "no_cook": False,
            "notes": notes,
        },
        stock_needs=[[shipment.pack_type_id, shipment.quantity]],
    )


def plan_batch(*, batch_id: int) -> DispatchBatch:
    """Step 1: book one parcel per bookable source and split them into chunks (see the module doc).
    Does nothing unless the batch is still ``planning``."""
    with transaction.atomic():
        batch = locks.lock_batch(batch_id)
        if batch.status != B.PLANNING:
            return batch
        account = batch.account
        parcels: list[Parcel] = []
        if account.takes_requests:
            candidates = list(
                referral_selectors.approved_requests_for_dispatch(
                    food_bank_id=batch.food_bank_id,
                    approved_before=batch.cutoff_at,
                    ship_date=batch.ship_date,
                ).values_list("pk", flat=True)
            )
            ids = referral_services.schedule_for_batch(request_ids=candidates, batch_ref=batch.reference)
            pack_types = list(PackType.objects.filter(food_bank_id=batch.food_bank_id, active=True))
            rule = sizing.rule_for(food_bank_id=batch.food_bank_id, pack_types=pack_types)
            for view in referral_selectors.packing_views(request_ids=ids):
                parcels.append(_request_parcel(batch, view, rule))
        if account.takes_restocks:
            # One call per shipment: restocks go to the food bank's windows, a few dozen at most.
            for shipment in inventory_selectors.restock_shipments_ready_for_dispatch(batch.food_bank_id):
                try:
                    inventory_services.mark_restock_booked(
                        shipment_id=shipment.pk, dispatch_reference=batch.reference
                    )
                except InsufficientStock:
                    logger.info("Restock %s waits for stock (batch %s).", shipment.pk, batch.pk)
                    continue
                parcels.append(_restock_parcel(batch, shipment))
        if account.takes_pantry:
            pantry = locks.lock_approved_pantry_shipments(batch.food_bank_id)
            PantryShipment.objects.filter(pk__in=[p.pk for p in pantry]).update(
                status=PantryShipment.Status.BOOKED
            )
            for box in pantry:
                parcels.append(_pantry_parcel(batch, box))
        # A fixed number of chunks (not one per so many parcels): the queries of a batch do not
        # depend on its size, and DISPATCH_CHUNKS is about how many workers build it in parallel.
        size = max(1, math.ceil(len(parcels) / dispatch_chunks()))
        for seq, parcel in enumerate(parcels):
            parcel.chunk = seq // size
        # One statement for every parcel and one INSERT … SELECT for their events.
        _insert_parcels(parcels)
        now = timezone.now()
        _log_events(batch_id=batch.pk, status=S.BOOKED, from_status="", at=now, note=batch.reference)
        batch.parcel_count = len(parcels)
        batch.chunk_size = size
        batch.chunk_count = math.ceil(len(parcels) / size)
        batch.documents_wanted = len(document_kinds(account))
        BatchChunk.objects.bulk_create([BatchChunk(batch=batch, index=i) for i in range(batch.chunk_count)])
        batch.status = B.BUILDING if batch.chunk_count else B.DOCUMENTS
        batch.save(
            update_fields=[
                "parcel_count",
                "chunk_size",
                "chunk_count",
                "documents_wanted",
                "status",
                "updated_at",
            ]
        )
        _enqueue_remaining(batch)
    return batch
