"""Writes of the shipping domain: opening and building dispatch batches, packing, tracking import.

A batch is built in steps, each a Celery task and each idempotent (shipping.tasks):

1. ``plan_batch``: one transaction gathers the bookable sources (approved delivery requests approved
   before the account's cutoff, approved restock shipments, pantry shipments), schedules the
   requests (``referrals.services.schedule_for_batch``), and books one parcel per source with
   ``bulk_create``, split into chunks (``DispatchBatch.chunk_size``). A source has at most one live
   parcel (a partial unique constraint), so a second plan cannot duplicate a parcel.
2. ``build_chunk`` (one task per chunk, run in parallel): reserves the stock of the chunk's parcels
   FEFO with ``inventory.services.reserve_stock_many`` (constant queries per chunk) and moves them to
   ``batched``. The chunk row's ``done_at`` is set in the same transaction, so a chunk is counted
   once; the last chunk moves the batch to ``documents`` and enqueues one task per document.
3. ``build_document`` (one task per kind): writes the PDF or carrier file to default storage; the
   ``(batch, kind)`` unique constraint keeps one row per document; the last moves the batch to ready.

A worker killed mid-way leaves the batch in a state ``resume_batch`` (the sweeper) continues from.
The number of queries per batch does not grow with the number of parcels (only with the number of
chunks, and with restock shipments, which are one per window at most).
"""

import io
import logging
import math
from collections.abc import Iterable
from datetime import date, datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from foodbank import audit
from foodbank.exceptions import InvalidTransition
from foodbank.models import ProvisionRecord
from foodbank.outbox import enqueue

from . import documents, locks
from .carriers import get_carrier
from .models import (
    BatchChunk,
    BatchDocument,
    CarrierAccount,
    DispatchBatch,
    PantryShipment,
    Parcel,
    ParcelEvent,
)

logger = logging.getLogger(__name__)

S = Parcel.Status
B = DispatchBatch.Status
K = BatchDocument.Kind
# A batch stuck in a step is resumed by the sweeper at most this many times, then marked failed.
MAX_ATTEMPTS = 5
BUILD_TASK = "shipping.tasks.build_batch_task"
CHUNK_TASK = "shipping.tasks.build_chunk_task"
DOCUMENT_TASK = "shipping.tasks.build_document_task"
PACKED_OR_LATER = (S.PACKED, S.LABEL_ISSUED, S.HANDED_OVER, S.DELIVERED)


def chunk_size() -> int:
    return getattr(settings, "DISPATCH_CHUNK_SIZE", 500)


def document_kinds(account: CarrierAccount) -> list[str]:
    """Yamato batches get the B2 Cloud CSV (B2 prints the labels); local ones our own labels."""
    carrier_file = K.CARRIER_CSV if account.carrier == "yamato" else K.LABELS
    return [K.PICK_LIST, K.PACKING_SLIPS, carrier_file, K.MANIFEST]


# --- Opening batches ------------------------------------------------------------------------------


def open_batch(*, account_id: int, ship_date: date, by=None) -> tuple[DispatchBatch, bool]:
    """The batch of ``account_id`` for ``ship_date``, created (and its build enqueued) when missing.

    ``(account, ship_date)`` is unique: two beat processes or a coordinator at the same moment get
    the same batch and only the creator enqueues its build.
    """
    with transaction.atomic():
        account = CarrierAccount.objects.get(pk=account_id)
        batch, created = DispatchBatch.objects.get_or_create(
            account=account,
            ship_date=ship_date,
            defaults={
                "food_bank_id": account.food_bank_id,
                "cutoff_at": account.cutoff_on(ship_date),
                "chunk_size": chunk_size(),
                "created_by": by if getattr(by, "pk", None) else None,
            },
        )
        if created:
            enqueue(BUILD_TASK, batch_id=batch.pk)
    return batch, created


def open_due_batches(*, now: datetime | None = None) -> list[int]:
    """For the beat job: every active account whose cutoff has passed today, on a pickup day, gets
    today's batch (once). Returns the ids of the batches created now."""
    local = timezone.localtime(now or timezone.now())
    today = local.date()
    created = []
    for account in CarrierAccount.objects.filter(active=True).order_by("pk"):
        if today.weekday() not in account.weekdays or local.time() < account.cutoff_time:
            continue
        batch, new = open_batch(account_id=account.pk, ship_date=today)
        if new:
            created.append(batch.pk)
    return created


# --- Step 1: gathering parcels --------------------------------------------------------------------


def _pack_type_for(days: int, pack_types: list) -> object | None:
    """The smallest pack type that covers ``days``; the largest when none does."""
    if not pack_types:
        return None
    covering = [p for p in pack_types if p.days >= days]
    return min(covering, key=lambda p: p.days) if covering else max(pack_types, key=lambda p: p.days)


def _line(pack_type, quantity: int = 1) -> dict:
    return {"name": pack_type.name, "quantity": quantity, "pack_type": pack_type.code, "code": pack_type.code}


def _request_parcel(batch: DispatchBatch, view, pack_types: list, seq: int) -> Parcel:
    from referrals.models import DeliveryRequest
    from referrals.validation import display_phone

    label = view.label
    pack_type = _pack_type_for(view.days_needed, pack_types)
    extras = [
        {
            "name": str(e.get("name") or e.get("code") or e.get("kind") or ""),
            "quantity": int(e.get("quantity") or 1),
        }
        for e in view.extras
        if isinstance(e, dict)
    ]
    notes = []
    if view.dietary_note:
        notes.append(view.dietary_note[:60])
    if view.children_ages:
        notes.append(_("Children aged %(ages)s") % {"ages": "・".join(str(a) for a in view.children_ages)})
    source = (
        Parcel.Source.RECURRING
        if view.source == DeliveryRequest.Source.PROGRAMME
        else Parcel.Source.DELIVERY_REQUEST
    )
    address = (
        " ".join(x for x in (label.prefecture + label.municipality, label.address) if x) if label else ""
    )
    return Parcel(
        food_bank_id=batch.food_bank_id,
        account_id=batch.account_id,
        batch=batch,
        chunk=seq // batch.chunk_size,
        reference=f"{batch.reference}-R{view.request_id}",
        source=source,
        source_key=f"request:{view.request_id}",
        delivery_request_id=view.request_id,
        recipient_name=label.name if label else "",
        recipient_name_kana=label.name_kana if label else "",
        recipient_phone=display_phone(label.phone) if label and label.phone else "",
        postal_code=label.postal_code if label else "",
        address=address,
        building=label.building if label else "",
        time_slot=view.time_slot or "",
        ship_date=batch.ship_date,
        delivery_date=view.delivery_date,
        packing={
            "contents": [_line(pack_type)] if pack_type else [],
            "extras": extras,
            "allergies": view.allergies or "",
            "no_cook": bool(view.no_cook),
            "notes": notes,
        },
        stock_needs=[[pack_type.pk, 1]] if pack_type else [],
    )


def _restock_parcel(batch: DispatchBatch, shipment, seq: int) -> Parcel:
    site = shipment.to_site
    lines = [_line(line.pack_type, line.quantity) for line in shipment.lines.all()]
    return Parcel(
        food_bank_id=batch.food_bank_id,
        account_id=batch.account_id,
        batch=batch,
        chunk=seq // batch.chunk_size,
        reference=f"{batch.reference}-W{shipment.pk}",
        source=Parcel.Source.RESTOCK,
        source_key=f"restock:{shipment.pk}",
        restock_id=shipment.pk,
        recipient_name=site.name,
        recipient_company=site.organisation.name,
        recipient_phone=site.organisation.phone,
        postal_code=site.postal_code,
        address=f"{site.prefecture}{site.municipality} {site.address}",
        ship_date=batch.ship_date,
        packing={"contents": lines, "extras": [], "allergies": "", "no_cook": False, "notes": []},
        stock_reserved=True,  # mark_restock_booked reserved it under restock:<id>
    )


def _pantry_parcel(batch: DispatchBatch, shipment: PantryShipment, seq: int) -> Parcel:
    notes = [shipment.note] if shipment.note else []
    return Parcel(
        food_bank_id=batch.food_bank_id,
        account_id=batch.account_id,
        batch=batch,
        chunk=seq // batch.chunk_size,
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
    from inventory import selectors as inventory_selectors
    from inventory import services as inventory_services
    from inventory.exceptions import InsufficientStock
    from inventory.models import PackType
    from referrals import selectors as referral_selectors
    from referrals import services as referral_services

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
            for view in referral_selectors.packing_views(request_ids=ids):
                parcels.append(_request_parcel(batch, view, pack_types, len(parcels)))
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
                parcels.append(_restock_parcel(batch, shipment, len(parcels)))
        if account.takes_pantry:
            pantry = list(
                PantryShipment.objects.select_for_update(of=("self",))
                .filter(food_bank_id=batch.food_bank_id, status=PantryShipment.Status.APPROVED)
                .select_related("partner", "pack_type")
                .order_by("pk")
            )
            PantryShipment.objects.filter(pk__in=[p.pk for p in pantry]).update(
                status=PantryShipment.Status.BOOKED
            )
            for shipment in pantry:
                parcels.append(_pantry_parcel(batch, shipment, len(parcels)))
        created = Parcel.objects.bulk_create(parcels, batch_size=1000)
        now = timezone.now()
        ParcelEvent.objects.bulk_create(
            [ParcelEvent(parcel=p, to_status=S.BOOKED, at=now, note=batch.reference) for p in created],
            batch_size=1000,
        )
        batch.parcel_count = len(created)
        batch.chunk_count = math.ceil(len(created) / batch.chunk_size)
        batch.documents_wanted = len(document_kinds(account))
        BatchChunk.objects.bulk_create([BatchChunk(batch=batch, index=i) for i in range(batch.chunk_count)])
        batch.status = B.BUILDING if batch.chunk_count else B.DOCUMENTS
        batch.save(update_fields=["parcel_count", "chunk_count", "documents_wanted", "status", "updated_at"])
        _enqueue_remaining(batch)
    return batch


def _enqueue_remaining(batch: DispatchBatch) -> int:
    """Enqueue the tasks of the batch's current step that are not done yet (inside a transaction)."""
    sent = 0
    if batch.status == B.BUILDING:
        for index in BatchChunk.objects.filter(batch=batch, done_at__isnull=True).values_list(
            "index", flat=True
        ):
            enqueue(CHUNK_TASK, batch_id=batch.pk, index=index)
            sent += 1
    elif batch.status == B.DOCUMENTS:
        have = set(BatchDocument.objects.filter(batch=batch).values_list("kind", flat=True))
        for kind in document_kinds(batch.account):
            if kind not in have:
                enqueue(DOCUMENT_TASK, batch_id=batch.pk, kind=kind)
                sent += 1
    elif batch.status == B.PLANNING:
        enqueue(BUILD_TASK, batch_id=batch.pk)
        sent += 1
    return sent


# --- Step 2: chunks -------------------------------------------------------------------------------


def build_chunk(*, batch_id: int, index: int) -> bool:
    """Step 2 for one chunk: reserve its parcels' stock and move them to ``batched``. Returns False
    when the chunk was done already. A fixed number of queries whatever the chunk's size."""
    from inventory import services as inventory_services
    from inventory.models import PackType
    from inventory.services import StockNeed

    with transaction.atomic():
        chunk = locks.lock_chunk(batch_id, index)
        if chunk is None or chunk.done_at is not None:
            return False
        batch = DispatchBatch.objects.get(pk=batch_id)
        parcels = locks.lock_parcels(Parcel.objects.filter(batch_id=batch_id, chunk=index, status=S.BOOKED))
        wanting = [p for p in parcels if p.stock_needs and not p.stock_reserved]
        if wanting:
            pack_types = PackType.objects.in_bulk({pt for p in wanting for pt, _q in p.stock_needs})
            try:
                warehouse = inventory_services.default_warehouse(batch.food_bank_id)
            except Exception:  # no warehouse configured: nothing to reserve from
                warehouse = None
            if warehouse is None:
                for p in wanting:
                    p.stock_problem = [{"sku": "", "requested": 0, "available": 0, "code": "no_warehouse"}]
            else:
                needs = {
                    p.reservation_reference: [
                        StockNeed(pack_type=pack_types[pt], quantity=q)
                        for pt, q in p.stock_needs
                        if pt in pack_types
                    ]
                    for p in wanting
                }
                result = inventory_services.reserve_stock_many(
                    site=warehouse, needs={ref: lines for ref, lines in needs.items() if lines}
                )
                for p in wanting:
                    p.stock_reserved = p.reservation_reference in result.reserved
                    p.stock_problem = result.shortages.get(p.reservation_reference, [])
        for p in parcels:
            p.status = S.BATCHED
        Parcel.objects.bulk_update(parcels, ["status", "stock_reserved", "stock_problem"], batch_size=1000)
        now = timezone.now()
        ParcelEvent.objects.bulk_create(
            [ParcelEvent(parcel=p, from_status=S.BOOKED, to_status=S.BATCHED, at=now) for p in parcels],
            batch_size=1000,
        )
        chunk.done_at = now
        chunk.save(update_fields=["done_at"])
        DispatchBatch.objects.filter(pk=batch_id).update(chunks_done=F("chunks_done") + 1, updated_at=now)
        done, count = (
            DispatchBatch.objects.filter(pk=batch_id).values_list("chunks_done", "chunk_count").get()
        )
        if done >= count and DispatchBatch.objects.filter(pk=batch_id, status=B.BUILDING).update(
            status=B.DOCUMENTS, updated_at=now
        ):
            _enqueue_remaining(DispatchBatch.objects.select_related("account").get(pk=batch_id))
    return True


# --- Step 3: documents ----------------------------------------------------------------------------


def _batch_parcels(batch: DispatchBatch) -> list[Parcel]:
    return list(Parcel.objects.filter(batch=batch).exclude(status=S.VOID).order_by("pk"))


def _render(batch: DispatchBatch, kind: str, parcels: list[Parcel]) -> tuple[bytes, str, str, list[dict]]:
    """(content, media type, file extension, held back) of one document."""
    from inventory.models import PackType

    data = [p.as_data() for p in parcels]
    account = batch.account
    title = f"{batch.reference} {account.name}"
    out = io.BytesIO()
    if kind in (K.CARRIER_CSV, K.LABELS):
        result = get_carrier(account.carrier).export_batch(data, account=account.as_data())
        ext = "csv" if kind == K.CARRIER_CSV else "pdf"
        return result.content, result.media_type, ext, [h.as_dict() for h in result.held_back]
    if kind == K.PICK_LIST:
        names = dict(PackType.objects.filter(food_bank_id=batch.food_bank_id).values_list("code", "name"))
        documents.write_pick_list(data, out, title=title, ship_date=batch.ship_date, pack_type_names=names)
    elif kind == K.PACKING_SLIPS:
        documents.write_packing_slips(data, out, title=title)
    elif kind == K.MANIFEST:
        numbers = {p.reference: p.tracking_number for p in parcels if p.tracking_number}
        documents.write_manifest(
            data,
            out,
            carrier_name=str(dict(CarrierAccount._meta.get_field("carrier").choices)[account.carrier]),
            sender=account.as_data().sender,
            ship_date=batch.ship_date,
            tracking_numbers=numbers,
            title=title,
        )
    else:
        raise ValueError(f"Unknown document kind {kind!r}")
    return out.getvalue(), "application/pdf", "pdf", []


def build_document(*, batch_id: int, kind: str) -> bool:
    """Step 3 for one document kind. Returns False when it existed already."""
    batch = DispatchBatch.objects.select_related("account").get(pk=batch_id)
    if batch.status not in (B.DOCUMENTS, B.READY) or kind not in document_kinds(batch.account):
        return False
    if BatchDocument.objects.filter(batch=batch, kind=kind).exists():
        return False
    parcels = _batch_parcels(batch)
    content, media_type, ext, held_back = _render(batch, kind, parcels)
    name = f"shipping/batches/{batch.pk}/{kind}.{ext}"
    with transaction.atomic():
        if default_storage.exists(name):
            default_storage.delete(name)
        stored = default_storage.save(name, ContentFile(content))
        try:
            with transaction.atomic():
                BatchDocument.objects.create(
                    batch=batch, kind=kind, file=stored, media_type=media_type, size=len(content)
                )
        except IntegrityError:  # another worker wrote it first
            return False
        updates = {"documents_done": F("documents_done") + 1, "updated_at": timezone.now()}
        if kind in (K.CARRIER_CSV, K.LABELS):
            updates["held_back"] = held_back
        DispatchBatch.objects.filter(pk=batch.pk).update(**updates)
        if kind == K.CARRIER_CSV:
            _record_courier_provision(batch, parcels, held_back)
        done, wanted = (
            DispatchBatch.objects.filter(pk=batch.pk).values_list("documents_done", "documents_wanted").get()
        )
        if done >= wanted:
            DispatchBatch.objects.filter(pk=batch.pk, status=B.DOCUMENTS).update(
                status=B.READY, finished_at=timezone.now()
            )
    return True


def _record_courier_provision(batch: DispatchBatch, parcels: list[Parcel], held_back: list[dict]) -> None:
    """The CSV carries names, addresses and phone numbers to the courier (APPI: entrustment)."""
    from referrals.models import DeliveryRequest

    held = {h["reference"] for h in held_back}
    request_ids = [
        p.delivery_request_id for p in parcels if p.delivery_request_id and p.reference not in held
    ]
    if not request_ids:
        return
    subjects = set(DeliveryRequest.objects.filter(pk__in=request_ids).values_list("recipient_id", flat=True))
    audit.record_provision(
        food_bank_id=batch.food_bank_id,
        subject_ids=subjects,
        data_categories=["name", "address", "phone"],
        basis=ProvisionRecord.Basis.ENTRUSTMENT,
        trigger_type="dispatch_batch_csv",
        trigger_id=batch.pk,
        recipient_name=str(dict(CarrierAccount._meta.get_field("carrier").choices)[batch.account.carrier]),
    )


# --- Resuming -------------------------------------------------------------------------------------


def resume_batch(*, batch_id: int) -> int:
    """Enqueue whatever the batch's current step still needs (a build interrupted by a killed
    worker). Counts an attempt; after MAX_ATTEMPTS the batch is marked failed. Returns tasks sent."""
    with transaction.atomic():
        batch = locks.lock_batch(batch_id)
        if batch.status in (B.READY, B.FAILED):
            return 0
        if batch.attempts >= MAX_ATTEMPTS:
            batch.status = B.FAILED
            batch.last_error = f"gave up after {batch.attempts} attempts"
            batch.save(update_fields=["status", "last_error", "updated_at"])
            return 0
        batch.attempts += 1
        batch.save(update_fields=["attempts", "updated_at"])
        return _enqueue_remaining(batch)


def stuck_batches(*, older_than) -> list[int]:
    return list(
        DispatchBatch.objects.filter(
            status__in=(B.PLANNING, B.BUILDING, B.DOCUMENTS), updated_at__lt=timezone.now() - older_than
        ).values_list("pk", flat=True)
    )


# --- Packing --------------------------------------------------------------------------------------


def mark_packed(*, parcel_id: int, by=None) -> Parcel:
    """A volunteer packed the box: its reserved stock is consumed, the delivery request moves to
    packed (and to shipped when the tracking number is known already). Packing twice changes
    nothing; a void or not yet batched parcel raises InvalidTransition, and so does a parcel whose
    delivery request was cancelled (do not pack it)."""
    from inventory import services as inventory_services
    from referrals import services as referral_services

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
        ParcelEvent.objects.create(parcel=parcel, from_status=parcel.status, to_status=new, by=actor)
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


# --- Tracking import ------------------------------------------------------------------------------


def import_tracking(*, batch_id: int, data: bytes, by=None) -> dict:
    """Store the tracking numbers of B2 Cloud's issued-data file for the batch's parcels.

    Rows are matched by column 1 (our reference) and checked by the carrier (check digit, duplicates,
    numbers already stored elsewhere). Packed parcels move to ``label_issued`` and their delivery
    requests to shipped (the case worker is emailed the tracking link) in one transaction; parcels
    not packed yet keep the number and ship when packed. Importing the same file again matches the
    same rows and changes nothing. Returns ``{matched: [{reference, tracking_number}], rejected:
    [{row, reason, message, reference, number}]}``.
    """
    from referrals import services as referral_services

    batch = DispatchBatch.objects.select_related("account").get(pk=batch_id)
    carrier = get_carrier(batch.account.carrier)
    known = set(Parcel.objects.filter(batch=batch).exclude(status=S.VOID).values_list("reference", flat=True))
    assigned = dict(
        Parcel.objects.filter(batch=batch, tracking_number__isnull=False).values_list(
            "tracking_number", "reference"
        )
    )
    result = carrier.import_tracking(data, known_references=known, assigned_numbers=assigned)
    matched = dict(result.matched)
    rejected = [r.as_dict() for r in result.rejected]
    elsewhere = set(
        Parcel.objects.filter(tracking_number__in=list(matched.values()))
        .exclude(batch=batch)
        .values_list("tracking_number", flat=True)
    )
    if elsewhere:
        for ref, number in list(matched.items()):
            if number in elsewhere:
                del matched[ref]
                rejected.append(
                    {
                        "row": 0,
                        "reason": "number_already_assigned",
                        "message": _("This 伝票番号 is already stored on another parcel."),
                        "reference": ref,
                        "number": number,
                    }
                )
    with transaction.atomic():
        parcels = locks.lock_parcels(Parcel.objects.filter(batch=batch, reference__in=list(matched)))
        changed, shipments, events = [], [], []
        now = timezone.now()
        for p in parcels:
            number = matched[p.reference]
            if p.tracking_number == number:
                continue
            p.tracking_number = number
            if p.status == S.PACKED:
                events.append(
                    ParcelEvent(parcel=p, from_status=p.status, to_status=S.LABEL_ISSUED, at=now, by=by)
                )
                p.status = S.LABEL_ISSUED
                if p.delivery_request_id:
                    shipments.append((p.delivery_request_id, number, carrier.tracking_url(number) or ""))
            changed.append(p)
        Parcel.objects.bulk_update(changed, ["tracking_number", "status"], batch_size=1000)
        ParcelEvent.objects.bulk_create(events, batch_size=1000)
        if shipments:
            referral_services.mark_many_shipped(
                shipments=shipments, by=by if getattr(by, "pk", None) else None
            )
    return {
        "matched": [{"reference": ref, "tracking_number": num} for ref, num in matched.items()],
        "rejected": sorted(rejected, key=lambda r: r["row"]),
    }


def create_pantry_shipment(*, food_bank_id: int, by, **fields) -> PantryShipment:
    """A coordinator's bulk box for a partner group; the next batch that carries pantry shipments
    books it."""
    with transaction.atomic():
        return PantryShipment.objects.create(food_bank_id=food_bank_id, created_by=by, **fields)


def parcels_for(ids: Iterable[int]) -> list[Parcel]:
    return list(Parcel.objects.filter(pk__in=list(ids)).order_by("pk"))


# --- Retention (called by referrals.retention) ----------------------------------------------------


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
    and notes in the packing data (contents and extras stay: the reports count pack types). Call it
    inside the transaction that anonymises the requests. Returns how many parcels changed; a
    parcel already erased is not changed again."""
    parcels = list(
        Parcel.objects.filter(delivery_request_id__in=list(delivery_request_ids))
        .order_by("pk")
        .select_for_update(of=("self",))
    )
    changed = []
    for parcel in parcels:
        packing = dict(parcel.packing or {})
        packing["allergies"] = ""
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
            transaction.on_commit(lambda name=name: name and default_storage.delete(name))
        deleted += 1
    return deleted
