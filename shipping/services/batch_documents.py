"""Step 3: a batch's documents drawn, stored, and written again after a void."""

import io
import logging
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from foodbank import audit
from foodbank.lookups import AnyOf
from foodbank.models import ProvisionRecord
from foodbank.outbox import enqueue
from inventory import allergens
from inventory.models import PackType
from referrals.models import DeliveryRequest

from .. import documents, locks
from ..carriers import ContentLine, PackingNotes, ParcelData, get_carrier
from ..models import BatchDocument, DispatchBatch, Parcel
from .batches import DOCUMENT_TASK, _advance, document_kinds

logger = logging.getLogger(__name__)

S = Parcel.Status
B = DispatchBatch.Status
K = BatchDocument.Kind

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


# Content lines already made for a document, by their items (see _content_line).
LineCache = dict[tuple[tuple[str, Any], ...], ContentLine]


def _content_line(line: dict[str, Any], lines: LineCache) -> ContentLine:
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


def _row_data(row: dict[str, Any], lines: LineCache | None = None) -> ParcelData:
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
            allergies=allergens.for_packer(packing.get("allergens"), packing.get("allergies")),
            no_cook=bool(packing.get("no_cook")),
            notes=tuple(packing.get("notes", ())),
        ),
    )


# What each document reads of a parcel: the pick list only the contents, the manifest no name or
# address, the phone (decrypted) only the carrier's file (fewer values decoded, less personal data).
_DOCUMENT_FIELDS: dict[str, tuple[str, ...]] = {
    K.PICK_LIST: ("reference", "ship_date", "packing"),
    K.MANIFEST: ("reference", "ship_date", "postal_code", "tracking_number", "boxes"),
    K.PACKING_SLIPS: _DATA_FIELDS,
    K.CARRIER_CSV: (*_DATA_FIELDS, "recipient_phone"),
    K.LABELS: (*_DATA_FIELDS, "recipient_phone"),
}


def _batch_rows(batch: DispatchBatch, kind: str) -> list[dict[str, Any]]:
    live = Parcel.objects.filter(batch=batch).exclude(status=S.VOID).order_by("pk")
    return list(live.values(*_DOCUMENT_FIELDS[kind]))


def _render(
    batch: DispatchBatch, kind: str, rows: list[dict[str, Any]]
) -> tuple[bytes, str, str, list[dict[str, Any]]]:
    """(content, media type, file extension, held back) of one document."""
    lines: LineCache = {}
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
            carrier_name=account.get_carrier_display(),
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
    rows: list[dict[str, Any]]
    content: bytes
    media_type: str
    ext: str
    held_back: list[dict[str, Any]]


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


def _record_courier_provision(
    batch: DispatchBatch, rows: list[dict[str, Any]], held_back: list[dict[str, Any]]
) -> None:
    """The CSV carries names, addresses and phone numbers to the courier (APPI: entrustment)."""
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
        recipient_name=batch.account.get_carrier_display(),
    )


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
