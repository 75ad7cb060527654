"""Writes of the shipping domain: opening and building dispatch batches, packing, tracking import.

A batch is built in steps, each a Celery task and each idempotent (shipping.tasks):

1. ``plan_batch``: one transaction gathers the bookable sources (approved delivery requests approved
   before the account's cutoff, approved restock shipments, pantry shipments), schedules the
   requests (``referrals.services.schedule_for_batch``), and books one parcel per source with one
   ``INSERT`` (events: one ``INSERT … SELECT``), split into ``DISPATCH_CHUNKS`` chunks whatever
   the batch's size. A source has at most one live parcel (a partial unique constraint), so a
   second plan cannot duplicate a parcel. It enqueues the chunks and the documents together.
2. ``build_chunk`` (one task per chunk, run in parallel): moves the chunk's parcels to ``batched``
   and reserves their stock FEFO with ``inventory.services.reserve_stock_many`` (a fixed number of
   queries per chunk). The chunk row's ``done_at`` is set in the same transaction, so a chunk is
   counted once.
3. ``build_document`` (one task per kind, beside the chunks: documents show the booked parcels
   and not the reservations): writes the PDF or carrier file to default storage; the ``(batch,
   kind)`` unique constraint keeps one row per document.

After each chunk and document, ``_advance`` moves the batch to ``documents`` (chunks done) or to
``ready`` (chunks and documents done). A worker killed mid-way leaves the batch in a state
``resume_batch`` (the sweeper) continues from. The number of queries per batch does not grow with
the number of parcels (restock shipments aside, which are one per window at most).
"""

import io
import json
import logging
import math
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Case, Count, F, JSONField, Q, Sum, Value, When
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import gettext as _

from foodbank import audit
from foodbank.bulk import DB_READY_TYPES
from foodbank.exceptions import InvalidTransition
from foodbank.lookups import AnyOf
from foodbank.models import AuditEvent, ProvisionRecord
from foodbank.outbox import enqueue

from . import documents, locks
from .carriers import ContentLine, PackingNotes, ParcelData, box_reference, get_carrier
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


def dispatch_chunks() -> int:
    """How many chunks a batch is split into (``settings.DISPATCH_CHUNKS``), whatever its size."""
    return max(1, int(getattr(settings, "DISPATCH_CHUNKS", 4)))


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


def _line(pack_type, quantity: int = 1) -> dict:
    return {"name": pack_type.name, "quantity": quantity, "pack_type": pack_type.code, "code": pack_type.code}


_PARCEL_DEFAULTS: dict | None = None


def _new_parcel(**values) -> Parcel:
    """``Parcel(**values)`` for a new row (``values`` by attname: ``batch_id``, not ``batch``), without
    ``Model.__init__``'s work per field and keyword (a sixth of the plan's CPU at 10,000 parcels).
    The defaults are computed once: a default list or dict is shared by the parcels that do not set
    it (they are only inserted, never changed in place)."""
    global _PARCEL_DEFAULTS
    if _PARCEL_DEFAULTS is None:
        _PARCEL_DEFAULTS = {f.attname: f.get_default() for f in Parcel._meta.concrete_fields}
    parcel = Parcel.__new__(Parcel)
    parcel.__dict__.update(_PARCEL_DEFAULTS)
    parcel.__dict__.update(values)
    parcel._state = ModelState()
    return parcel


def _request_parcel(batch: DispatchBatch, view, rule: list) -> Parcel:
    from inventory.sizing import size_for
    from referrals.models import DeliveryRequest
    from referrals.validation import display_phone

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
    notes = []
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
            "no_cook": bool(view.no_cook),
            "notes": notes,
        },
        stock_needs=[[pack_type.pk, quantity] for pack_type, quantity in sizing.lines],
        boxes=max(sizing.boxes, 1),
    )


# Printed instead of a confidential site's name (a window run by a DV shelter): the box says
# neither who sends (the account's sender is neutral, CarrierAccount.clean) nor where it goes.
CONFIDENTIAL_RECIPIENT_NAME = "ご担当者"


def _restock_parcel(batch: DispatchBatch, shipment) -> Parcel:
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
    from inventory import selectors as inventory_selectors
    from inventory import services as inventory_services
    from inventory import sizing
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
                parcels.append(_pantry_parcel(batch, shipment))
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


def _insert_parcels(parcels: list[Parcel]) -> None:
    """Insert new parcels with one statement: PostgreSQL's ``COPY`` (about half the time of a bulk
    ``INSERT`` of 10,000 wide rows, client and server), ``bulk_create`` elsewhere (SQLite splits it
    at its parameter limit). Values are prepared by the model's fields as for ``bulk_create``
    (``auto_now_add``, encryption, JSON); ids are not read back."""
    if connection.vendor != "postgresql" or not parcels:
        Parcel.objects.bulk_create(parcels)
        return
    qn = connection.ops.quote_name
    fields = [f for f in Parcel._meta.concrete_fields if not f.primary_key]
    sql = f"COPY {qn(Parcel._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) FROM STDIN"
    started = time.monotonic()
    rows = [[d[name] for name in _COPY_NAMES] for d in (p.__dict__ for p in parcels)]
    now = timezone.now()
    for index, convert in _copy_converters():
        for row in rows:
            row[index] = convert(row[index], now)
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
    if connection.queries_logged:  # COPY bypasses Django's cursor: count it like any other query
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})


_COPY_NAMES = [f.attname for f in Parcel._meta.concrete_fields if not f.primary_key]


def _copy_converters() -> list[tuple[int, object]]:
    """(column, convert(value, now)) for the parcel columns whose Python value is not what ``COPY``
    takes as is: what ``get_db_prep_save`` does for them, without its generic per-value path (about
    a third of the plan's CPU at 10,000 parcels). Every other column (text, numbers, dates, foreign
    keys) is written as the model holds it, as ``get_db_prep_save`` would return it on PostgreSQL."""
    from foodbank.crypto import EncryptedTextField

    converters = []
    for index, field in enumerate(f for f in Parcel._meta.concrete_fields if not f.primary_key):
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            converters.append((index, lambda _value, now: now))
        elif isinstance(field, EncryptedTextField):
            converters.append((index, lambda value, _now, f=field: f.get_db_prep_save(value, connection)))
        elif isinstance(field, JSONField):
            converters.append((index, lambda value, _now, f=field: _json(value, f.encoder)))
        elif field.get_internal_type() not in DB_READY_TYPES:
            raise TypeError(f"Parcel.{field.name}: add a COPY converter for {field.get_internal_type()}")
    return converters


def _json(value, encoder) -> str | None:
    return None if value is None else json.dumps(value, cls=encoder)


def _log_events(
    *, batch_id: int, status: str, from_status: str, at: datetime, note: str = "", chunk: int | None = None
) -> None:
    """Append a ``from_status`` → ``status`` event for every parcel of the batch (or of one of its
    chunks) now in ``status``, with one ``INSERT … SELECT`` whatever their number."""
    qn = connection.ops.quote_name
    event, parcel = ParcelEvent._meta, Parcel._meta
    columns = ", ".join(
        qn(event.get_field(name).column) for name in ("parcel", "from_status", "to_status", "at", "note")
    )
    where = f"{qn(parcel.get_field('batch').column)} = %s AND {qn(parcel.get_field('status').column)} = %s"
    params: list = [from_status, status, connection.ops.adapt_datetimefield_value(at), note[:200]]
    params += [batch_id, status]
    if chunk is not None:
        where += f" AND {qn(parcel.get_field('chunk').column)} = %s"
        params.append(chunk)
    sql = (
        f"INSERT INTO {qn(event.db_table)} ({columns}) "  # noqa: S608 (names from _meta, values bound)
        f"SELECT {qn(parcel.pk.column)}, %s, %s, %s, %s FROM {qn(parcel.db_table)} WHERE {where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _enqueue_remaining(batch: DispatchBatch) -> int:
    """Enqueue the tasks of the batch's current step that are not done yet (inside a transaction).

    While the chunks reserve stock the documents are written too: they are drawn from the parcels
    booked by the plan and do not depend on the reservations, so both run side by side on the
    workers. The packing slips go first (the longest task), then the carrier's file, then the
    chunks, then the rest: the longest first, so that both processes finish about together.
    """
    sent = 0
    if batch.status in (B.BUILDING, B.DOCUMENTS):
        have = set(BatchDocument.objects.filter(batch=batch).values_list("kind", flat=True))
        kinds = [k for k in document_kinds(batch.account) if k not in have]
        # The longest first: the slips, then the carrier's file (decrypts every phone number).
        first = [k for k in (K.PACKING_SLIPS, K.CARRIER_CSV, K.LABELS) if k in kinds]
        chunks = []
        if batch.status == B.BUILDING:
            chunks = list(
                BatchChunk.objects.filter(batch=batch, done_at__isnull=True).values_list("index", flat=True)
            )
        for kind in first:
            enqueue(DOCUMENT_TASK, batch_id=batch.pk, kind=kind)
        for index in chunks:
            enqueue(CHUNK_TASK, batch_id=batch.pk, index=index)
        for kind in kinds:
            if kind not in first:
                enqueue(DOCUMENT_TASK, batch_id=batch.pk, kind=kind)
        sent = len(kinds) + len(chunks)
    elif batch.status == B.PLANNING:
        enqueue(BUILD_TASK, batch_id=batch.pk)
        sent += 1
    return sent


def _advance(batch_id: int, now: datetime) -> None:
    """After a chunk or a document: the batch is ready when every chunk and every document is done,
    and moves from ``building`` to ``documents`` when only documents are left. Call it after the
    step's counter UPDATE, in the same transaction: that UPDATE holds the batch row's lock, so of two
    steps finishing at the same moment the second sees both counters."""
    ready = DispatchBatch.objects.filter(
        pk=batch_id,
        status__in=(B.BUILDING, B.DOCUMENTS),
        chunks_done__gte=F("chunk_count"),
        documents_done__gte=F("documents_wanted"),
    ).update(status=B.READY, finished_at=now, updated_at=now)
    if not ready:
        DispatchBatch.objects.filter(
            pk=batch_id, status=B.BUILDING, chunks_done__gte=F("chunk_count")
        ).update(status=B.DOCUMENTS, updated_at=now)


# --- Step 2: chunks -------------------------------------------------------------------------------


def _reservation_reference(reference: str) -> str:
    return f"parcel:{reference}"  # Parcel.reservation_reference, without building the model


def build_chunk(*, batch_id: int, index: int) -> bool:
    """Step 2 for one chunk: move its parcels to ``batched`` and reserve their stock. Returns False
    when the chunk was done already. A fixed number of queries whatever the chunk's size.

    Locks the chunk row, then its parcels (pk order), then (in ``reserve_stock_many``) the
    reservations and the stock lots. Parallel chunks wait for each other only on the lots, so
    everything that does not need them is written before they are locked.
    """
    from inventory import allergens
    from inventory import services as inventory_services
    from inventory.models import PackType
    from inventory.services import StockNeed

    with transaction.atomic():
        chunk = locks.lock_chunk(batch_id, index)
        if chunk is None or chunk.done_at is not None:
            return False
        food_bank_id = DispatchBatch.objects.values_list("food_bank_id", flat=True).get(pk=batch_id)
        booked = Parcel.objects.filter(batch_id=batch_id, chunk=index, status=S.BOOKED)
        rows = locks.lock_parcel_rows(booked, "pk", "reference", "stock_needs", "stock_reserved", "packing")
        now = timezone.now()
        wanting = [(pk, ref, needs) for pk, ref, needs, reserved, _packing in rows if needs and not reserved]
        # The household's allergies as codes: lots that contain them are not packed for it.
        avoid = {
            ref: frozenset(allergens.from_text((packing or {}).get("allergies", "")))
            for _pk, ref, _needs, _reserved, packing in rows
        }
        # One UPDATE of the chunk's parcels, before the lots are locked: batched, and reserved if
        # they need stock (the few the reservation below does not serve are set back).
        booked.update(
            status=S.BATCHED,
            stock_reserved=Case(
                When(AnyOf("pk", [pk for pk, _ref, _needs in wanting]), then=Value(True)),
                default=F("stock_reserved"),
            ),
        )
        _log_events(batch_id=batch_id, chunk=index, status=S.BATCHED, from_status=S.BOOKED, at=now)
        reserved: list[int] = []
        problems: dict[int, list] = {}
        if wanting:
            pack_types = PackType.objects.in_bulk({pt for _pk, _ref, needs in wanting for pt, _q in needs})
            try:
                warehouse = inventory_services.default_warehouse(food_bank_id)
            except Exception:  # no warehouse configured: nothing to reserve from
                warehouse = None
            if warehouse is None:
                problem = [{"sku": "", "requested": 0, "available": 0, "code": "no_warehouse"}]
                problems = {pk: problem for pk, _ref, _needs in wanting}
            else:
                lines = {
                    _reservation_reference(ref): [
                        StockNeed(pack_type=pack_types[pt], quantity=q, avoid=avoid.get(ref, frozenset()))
                        for pt, q in needs
                        if pt in pack_types
                    ]
                    for _pk, ref, needs in wanting
                }
                result = inventory_services.reserve_stock_many(
                    site=warehouse, needs={ref: need for ref, need in lines.items() if need}
                )
                for pk, ref, _needs in wanting:
                    key = _reservation_reference(ref)
                    if key in result.reserved:
                        reserved.append(pk)
                    elif key in result.shortages:
                        problems[pk] = result.shortages[key]
                _mark_substitutions(rows, result.substitutions, pack_types)
        unserved = {pk for pk, _ref, _needs in wanting} - set(reserved)
        if unserved:
            Parcel.objects.filter(AnyOf("pk", sorted(unserved))).update(stock_reserved=False)
        if problems:
            Parcel.objects.bulk_update(
                [Parcel(pk=pk, stock_problem=problem) for pk, problem in problems.items()], ["stock_problem"]
            )
        chunk.done_at = now
        chunk.save(update_fields=["done_at"])
        DispatchBatch.objects.filter(pk=batch_id).update(chunks_done=F("chunks_done") + 1, updated_at=now)
        _advance(batch_id, now)
    return True


def _mark_substitutions(rows, substitutions: dict[str, list[dict]], pack_types) -> None:
    """Tell the packer, on the slip, what to take out of a box whose only stock contains an allergen
    the household avoids (「えび含む食品を除く：…」); one UPDATE for the chunk."""
    from inventory import allergens as allergen_codes

    names = {pt.code: pt.name for pt in pack_types.values()}
    changed = []
    for pk, ref, _needs, _reserved, packing in rows:
        subs = substitutions.get(_reservation_reference(ref))
        if not subs:
            continue
        packing = dict(packing or {})
        notes = list(packing.get("notes", []))
        for sub in subs:
            values = {
                "allergens": allergen_codes.labels(sub["allergens"]),
                "pack": names.get(sub["sku"], sub["sku"]),
            }
            if sub.get("unknown"):
                note = (
                    _("Allergens not recorded for the %(pack)s: check its labels for %(allergens)s") % values
                )
            else:
                note = (
                    _("Without %(allergens)s: replace what contains %(allergens)s in the %(pack)s") % values
                )
            if note not in notes:
                notes.append(note)
        packing["notes"] = notes
        packing["substitutions"] = subs
        changed.append(Parcel(pk=pk, packing=packing))
    if changed:
        Parcel.objects.bulk_update(changed, ["packing"])


# --- Step 3: documents ----------------------------------------------------------------------------

# What the documents read of a parcel (the phone only for the carrier's file: it is decrypted).
_DATA_FIELDS = (
    "reference",
    "ship_date",
    "recipient_name",
    "recipient_name_kana",
    "recipient_company",
    "postal_code",
    "address",
    "building",
    "item_names",
    "time_slot",
    "delivery_date",
    "packing",
    "tracking_number",
    "delivery_request_id",
    "boxes",
)


def _content_line(line: dict, lines: dict) -> ContentLine:
    """``ContentLine(**line)``, one (immutable) instance per distinct line in ``lines``: a batch's
    parcels hold a few kinds of line between them."""
    key = tuple(line.items())
    try:
        found = lines.get(key)
    except TypeError:  # an unhashable value: not shared
        return ContentLine(**line)
    if found is None:
        found = lines[key] = ContentLine(**line)
    return found


def _row_data(row: dict, lines: dict | None = None) -> ParcelData:
    """``Parcel.as_data()`` from a ``values()`` row, without building the model (10,000 a batch).
    ``lines`` caches content lines across the rows of one document."""
    lines = {} if lines is None else lines
    packing = row.get("packing") or {}
    get = row.get  # a document reads only the fields it needs (_DOCUMENT_FIELDS)
    return ParcelData(
        reference=row["reference"],
        ship_date=row["ship_date"],
        recipient_name=get("recipient_name", ""),
        recipient_phone=get("recipient_phone") or "",
        recipient_postal_code=get("postal_code", ""),
        recipient_address=get("address", ""),
        recipient_building=get("building", ""),
        recipient_name_kana=get("recipient_name_kana", ""),
        recipient_company=get("recipient_company", ""),
        item_names=tuple(get("item_names") or ()),
        time_slot=get("time_slot", ""),
        delivery_date=get("delivery_date"),
        count=get("boxes") or 1,
        notes=PackingNotes(
            contents=tuple(_content_line(line, lines) for line in packing.get("contents", ())),
            extras=tuple(_content_line(line, lines) for line in packing.get("extras", ())),
            allergies=packing.get("allergies", ""),
            no_cook=bool(packing.get("no_cook")),
            notes=tuple(packing.get("notes", ())),
        ),
    )


# What each document reads of a parcel: the pick list only the contents, the manifest no name or
# address, the phone (decrypted) only the carrier's file (fewer values decoded, less personal data).
_DOCUMENT_FIELDS = {
    K.PICK_LIST: ("reference", "ship_date", "packing"),
    K.MANIFEST: ("reference", "ship_date", "postal_code", "tracking_number", "boxes"),
    K.PACKING_SLIPS: _DATA_FIELDS,
    K.CARRIER_CSV: (*_DATA_FIELDS, "recipient_phone"),
    K.LABELS: (*_DATA_FIELDS, "recipient_phone"),
}


def _batch_rows(batch: DispatchBatch, kind: str) -> list[dict]:
    live = Parcel.objects.filter(batch=batch).exclude(status=S.VOID).order_by("pk")
    return list(live.values(*_DOCUMENT_FIELDS[kind]))


def _render(batch: DispatchBatch, kind: str, rows: list[dict]) -> tuple[bytes, str, str, list[dict]]:
    """(content, media type, file extension, held back) of one document."""
    from inventory.models import PackType

    lines: dict = {}
    data = [_row_data(row, lines) for row in rows]
    account = batch.account
    title = f"{batch.reference} {account.name}"
    out = io.BytesIO()
    if kind in (K.CARRIER_CSV, K.LABELS):
        result = get_carrier(account.carrier).export_batch(
            data, account=account.as_data(), today=timezone.localdate()
        )
        ext = "csv" if kind == K.CARRIER_CSV else "pdf"
        return result.content, result.media_type, ext, [h.as_dict() for h in result.held_back]
    if kind == K.PICK_LIST:
        names = dict(PackType.objects.filter(food_bank_id=batch.food_bank_id).values_list("code", "name"))
        documents.write_pick_list(data, out, title=title, ship_date=batch.ship_date, pack_type_names=names)
    elif kind == K.PACKING_SLIPS:
        documents.write_packing_slips(data, out, title=title)
    elif kind == K.MANIFEST:
        numbers = {row["reference"]: row["tracking_number"] for row in rows if row["tracking_number"]}
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


@dataclass(frozen=True)
class RenderedDocument:
    """A document drawn from the parcels the batch had at ``generation`` (not stored yet)."""

    batch_id: int
    kind: str
    generation: int
    rows: list[dict]
    content: bytes
    media_type: str
    ext: str
    held_back: list[dict]


def render_document(*, batch_id: int, kind: str) -> RenderedDocument | None:
    """First half of ``build_document``: read the batch's generation, then its live parcels, and draw
    the document (no lock held: this is the long part). None when there is nothing to write."""
    batch = DispatchBatch.objects.select_related("account").get(pk=batch_id)
    if batch.status not in (B.BUILDING, B.DOCUMENTS, B.READY) or kind not in document_kinds(batch.account):
        return None
    if BatchDocument.objects.filter(batch=batch, kind=kind).exists():
        return None
    # The generation is read before the parcels: a void committed in between makes the document
    # look stale (discarded, written again by the void's task), never the other way round.
    rows = _batch_rows(batch, kind)
    content, media_type, ext, held_back = _render(batch, kind, rows)
    return RenderedDocument(
        batch_id=batch.pk,
        kind=kind,
        generation=batch.documents_generation,
        rows=rows,
        content=content,
        media_type=media_type,
        ext=ext,
        held_back=held_back,
    )


def store_document(rendered: RenderedDocument) -> bool:
    """Second half of ``build_document``: under the batch's lock, store the file and its row only if
    the batch's documents generation is still the one the parcels were read under (compare and set:
    ``refresh_batch_documents`` bumps it under the same lock and enqueues a new task, which writes the
    document instead). Returns False when the document is stale or was stored already."""
    kind = rendered.kind
    with transaction.atomic():
        batch = locks.lock_batch(rendered.batch_id)
        if batch.documents_generation != rendered.generation:
            logger.info("Batch %s: %s drawn before a void, left to the newer task.", batch.pk, kind)
            return False
        if BatchDocument.objects.filter(batch=batch, kind=kind).exists():  # a duplicate task was first
            return False
        name = f"shipping/batches/{batch.pk}/{kind}.{rendered.ext}"
        # The storage is written while the batch is locked: a stale task never touches the file.
        if default_storage.exists(name):
            default_storage.delete(name)
        stored = default_storage.save(name, ContentFile(rendered.content))
        BatchDocument.objects.create(
            batch=batch,
            kind=kind,
            file=stored,
            media_type=rendered.media_type,
            size=len(rendered.content),
        )
        now = timezone.now()
        updates = {"documents_done": F("documents_done") + 1, "updated_at": now}
        if kind in (K.CARRIER_CSV, K.LABELS):
            updates["held_back"] = rendered.held_back
        DispatchBatch.objects.filter(pk=batch.pk).update(**updates)
        if kind == K.CARRIER_CSV:
            _record_courier_provision(batch, rendered.rows, rendered.held_back)
        _advance(batch.pk, now)
    return True


def build_document(*, batch_id: int, kind: str) -> bool:
    """Step 3 for one document kind (written while the chunks reserve stock). Returns False when it
    existed already, or when a void made what it drew stale (the void's own task writes it)."""
    rendered = render_document(batch_id=batch_id, kind=kind)
    return rendered is not None and store_document(rendered)


def _record_courier_provision(batch: DispatchBatch, rows: list[dict], held_back: list[dict]) -> None:
    """The CSV carries names, addresses and phone numbers to the courier (APPI: entrustment)."""
    from referrals.models import DeliveryRequest

    held = {h["reference"] for h in held_back}
    request_ids = [
        row["delivery_request_id"]
        for row in rows
        if row["delivery_request_id"] and row["reference"] not in held
    ]
    if not request_ids:
        return
    subjects = set(
        DeliveryRequest.objects.filter(AnyOf("pk", request_ids)).values_list("recipient_id", flat=True)
    )
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


# --- Void, hand-over, delivery ---------------------------------------------------------------------

VOIDABLE = (S.BOOKED, S.BATCHED, S.PACKED, S.LABEL_ISSUED)


def refresh_batch_documents(batch: DispatchBatch) -> int:
    """Write a batch's documents again (a parcel was voided), so that the pick list, packing slips,
    carrier file and manifest leave it out. Call inside a transaction holding the batch's lock: the
    rows go, the documents generation is bumped (a document task drawing the old parcels at this
    moment will not store its file: ``store_document``), a ready batch goes back to ``documents``,
    and one task per kind is enqueued. Documents are written beside the chunks, so a batch still
    ``building`` is refreshed too (its chunks are left alone). Returns the tasks sent (0 while the
    batch is planning: it has no parcels yet)."""
    if batch.status not in (B.BUILDING, B.DOCUMENTS, B.READY):
        return 0
    BatchDocument.objects.filter(batch=batch).delete()
    if batch.status == B.READY:
        batch.status = B.DOCUMENTS
    batch.documents_done = 0
    batch.documents_generation += 1
    batch.finished_at = None
    batch.held_back = []
    batch.save(
        update_fields=[
            "status",
            "documents_done",
            "documents_generation",
            "finished_at",
            "held_back",
            "updated_at",
        ]
    )
    kinds = document_kinds(batch.account)
    for kind in kinds:
        enqueue(DOCUMENT_TASK, batch_id=batch.pk, kind=kind)
    return len(kinds)


def void_parcel(*, parcel_id: int, by, reason: str, note: str = "") -> tuple[Parcel, str]:
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
    from inventory import services as inventory_services
    from referrals import services as referral_services

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


def handed_over_statuses(account: CarrierAccount) -> tuple[str, ...]:
    """Which packed parcels go to the courier: with Yamato only those whose B2 label was issued (a
    box without its label cannot be picked up); with the local carrier every packed one."""
    return (S.LABEL_ISSUED,) if account.carrier == "yamato" else (S.PACKED, S.LABEL_ISSUED)


def mark_handed_over(*, batch_id: int, by=None) -> int:
    """The courier (or the partner, or the driver) took the batch's packed boxes: every parcel ready
    to go (``handed_over_statuses``) becomes ``handed_over`` with an event. Delivery requests
    without a tracking number (hand delivery, pick-up) move to shipped here; those with one moved
    when their label was issued. Locks the parcels (pk order), then the requests; not the batch
    (``void_parcel`` takes a parcel, then the batch). Handing over twice changes nothing; returns
    the number of parcels handed over now. Parcels not ready stay as they are."""
    from referrals import services as referral_services

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


def mark_delivered(*, parcel_id: int, by=None) -> Parcel:
    """The parcel arrived (the courier's tracking says so, or the driver or partner confirms):
    handed_over → delivered with an event, and its delivery request shipped → delivered. Locks the
    parcel, then the request. Twice changes nothing; from any other status InvalidTransition."""
    from referrals import services as referral_services

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


# --- Tracking import ------------------------------------------------------------------------------


def tracking_import_max_rows(batch_id: int) -> int:
    """The most rows an issued-data file for the batch can have: one per live parcel, a header and
    TRACKING_IMPORT_ROW_MARGIN more (docs/shipping-b2.md)."""
    boxes = Parcel.objects.filter(batch_id=batch_id).exclude(status=S.VOID).aggregate(n=Sum("boxes"))["n"]
    return (boxes or 0) + 1 + settings.TRACKING_IMPORT_ROW_MARGIN


def import_tracking(*, batch_id: int, data: bytes, by=None) -> dict:
    """Store the tracking numbers of B2 Cloud's issued-data file for the batch's parcels.

    Rows are matched by column 1 (our reference) and checked by the carrier (check digit, duplicates,
    numbers already stored elsewhere). Packed parcels move to ``label_issued`` and their delivery
    requests to shipped (the case worker is emailed the tracking link) in one transaction; parcels
    not packed yet keep the number and ship when packed. Importing the same file again matches the
    same rows and changes nothing. Returns ``{matched: [{reference, tracking_number}], rejected:
    [{row, reason, message, reference, number}], rejected_count, rejected_by_reason}``: ``rejected``
    lists the first TRACKING_IMPORT_REJECTS_SHOWN rows only, the counts cover every row.
    """
    from referrals import services as referral_services

    batch = DispatchBatch.objects.select_related("account").get(pk=batch_id)
    carrier = get_carrier(batch.account.carrier)
    # A parcel of several boxes is in the carrier's file once per box (carriers.box_reference):
    # each box's row comes back with its own number.
    box_of: dict[str, tuple[str, int]] = {}  # carrier reference → (parcel reference, box index)
    assigned: dict[str, str] = {}  # number already stored → carrier reference
    rows = Parcel.objects.filter(batch=batch).values_list(
        "reference", "boxes", "status", "tracking_number", "box_numbers"
    )
    for reference, boxes, status, number, numbers in rows:
        if status != S.VOID:
            for box in range(1, boxes + 1):
                box_of[box_reference(reference, box, boxes)] = (reference, box - 1)
        if boxes > 1:
            assigned.update(
                {n: box_reference(reference, i + 1, boxes) for i, n in enumerate(numbers or []) if n}
            )
        elif number:
            assigned[number] = reference
    result = carrier.import_tracking(data, known_references=set(box_of), assigned_numbers=assigned)
    matched = dict(result.matched)
    rejected = [r.as_dict() for r in result.rejected]
    wanted = list(matched.values())
    elsewhere = set()
    for number, numbers in (
        Parcel.objects.filter(Q(tracking_number__in=wanted) | Q(box_numbers__has_any_keys=wanted))
        .exclude(batch=batch)
        .values_list("tracking_number", "box_numbers")
    ):
        elsewhere.update({number, *(numbers or [])} & set(wanted))
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
    per_parcel: dict[str, dict[int, str]] = {}
    for ref, number in matched.items():
        reference, box = box_of[ref]
        per_parcel.setdefault(reference, {})[box] = number
    with transaction.atomic():
        parcels = locks.lock_parcels(Parcel.objects.filter(batch=batch, reference__in=list(per_parcel)))
        changed, shipments, events = [], [], []
        now = timezone.now()
        for p in parcels:
            if p.boxes > 1:
                numbers = (list(p.box_numbers or []) + [""] * p.boxes)[: p.boxes]
                for box, box_number in per_parcel[p.reference].items():
                    numbers[box] = box_number
                if numbers != p.box_numbers:
                    p.box_numbers = numbers
                    changed.append(p)
                if not all(numbers):
                    continue  # the label is issued when every box has its number
                number = numbers[0]
            else:
                number = per_parcel[p.reference][0]
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
            if not changed or changed[-1] is not p:
                changed.append(p)
        Parcel.objects.bulk_update(changed, ["tracking_number", "status", "box_numbers"], batch_size=1000)
        ParcelEvent.objects.bulk_create(events, batch_size=1000)
        if shipments:
            referral_services.mark_many_shipped(
                shipments=shipments, by=by if getattr(by, "pk", None) else None
            )
    rejected.sort(key=lambda r: r["row"])
    return {
        "matched": [{"reference": ref, "tracking_number": num} for ref, num in matched.items()],
        "rejected": rejected[: settings.TRACKING_IMPORT_REJECTS_SHOWN],
        "rejected_count": len(rejected),
        "rejected_by_reason": dict(sorted(Counter(r["reason"] for r in rejected).items())),
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


# --- Who saw a parcel -------------------------------------------------------------------------------


def record_parcel_view(*, request, parcel: Parcel) -> None:
    """Record that ``request.user`` saw one parcel's label data (name, address, packing needs):
    staff views of personal data are audited (docs/spec.md §5), with the person when the parcel was made for
    a delivery request, so the disclosure export of that person lists it."""
    subject_id = None
    if parcel.delivery_request_id:
        from referrals.models import DeliveryRequest

        subject_id = (
            DeliveryRequest.objects.filter(pk=parcel.delivery_request_id)
            .values_list("recipient_id", flat=True)
            .first()
        )
    audit.record(
        actor=request.user,
        action=AuditEvent.Action.VIEW,
        object_type="parcel",
        object_id=parcel.pk,
        subject_id=subject_id,
        food_bank_id=parcel.food_bank_id,
        request=request,
    )


def record_parcel_list_view(*, request, ids: list[int]) -> None:
    """Record that ``request.user`` saw a list of parcels with their recipients' names: one event,
    with the people in it (``audit.record_shown``)."""
    record_parcels_shown(request=request, object_type="parcel", object_id="list", parcel_ids=ids)


def record_parcels_shown(
    *,
    request,
    object_type: str,
    object_id,
    parcel_ids: list[int] | None = None,
    batch_id: int | None = None,
    action: str = AuditEvent.Action.VIEW,
    detail: dict | None = None,
) -> None:
    """One audit event for an answer showing the label data of several parcels (a list, a page, a
    document of a batch): the recipients of those made for delivery requests, by id, so that each
    person's disclosure export lists it (docs/trust.md). Parcels of restocks and pantry boxes show
    no person."""
    parcels = Parcel.objects.all()
    if parcel_ids is not None:
        parcels = parcels.filter(pk__in=parcel_ids)
    if batch_id is not None:
        parcels = parcels.filter(batch_id=batch_id).exclude(status=S.VOID)
    rows = list(parcels.values_list("delivery_request__recipient_id", "food_bank_id"))
    audit.record_shown(
        actor=request.user,
        request=request,
        object_type=object_type,
        object_id=object_id,
        subject_ids=[subject for subject, _fb in rows],
        action=action,
        food_bank_id=rows[0][1] if rows else None,
        detail={**(detail or {}), **({"ids": parcel_ids} if parcel_ids is not None else {})},
    )
