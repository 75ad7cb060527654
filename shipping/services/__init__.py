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

One module per capability:

- ``batches``: opening batches, enqueuing and advancing their steps, resuming stuck ones;
- ``bulk``: the bulk SQL of a batch's parcels (``COPY``, events by ``INSERT … SELECT``);
- ``planning``: step 1, one parcel per request, restock and pantry shipment;
- ``chunks``: step 2, batching and reserving a chunk's stock (allergen substitutions);
- ``batch_documents``: step 3, drawing and storing the documents, writing them again after a void;
- ``packing``: the packing station (a box packed, a batch's progress);
- ``voids``: voiding a parcel before hand-over;
- ``handover``: hand-over to the courier and delivery;
- ``tracking``: importing B2 Cloud's issued-data file;
- ``pantry``: pantry shipments for partner groups;
- ``retention``: erasing recipient snapshots and old documents (``referrals.retention``);
- ``viewing``: audit events for staff who saw parcels.

Every public name is re-exported here, so callers keep writing ``services.open_batch(...)``.
"""

# tests/shipping/test_void.py reads the stored files through ``services.default_storage``.
from django.core.files.storage import default_storage

from .batch_documents import (
    RenderedDocument,
    _batch_rows,
    _row_data,
    build_document,
    refresh_batch_documents,
    render_document,
    store_document,
)
from .batches import (
    BUILD_TASK,
    CHUNK_TASK,
    DOCUMENT_TASK,
    MAX_ATTEMPTS,
    dispatch_chunks,
    document_kinds,
    open_batch,
    open_due_batches,
    resume_batch,
    stuck_batches,
)
from .chunks import _mark_substitutions, build_chunk
from .handover import handed_over_statuses, mark_delivered, mark_handed_over
from .packing import PACKED_OR_LATER, batch_counts, mark_packed, parcels_for
from .pantry import create_pantry_shipment
from .planning import CONFIDENTIAL_RECIPIENT_NAME, _request_parcel, plan_batch
from .retention import ERASED_PARCEL_FIELDS, anonymise_parcels, purge_batch_documents
from .tracking import import_tracking, tracking_import_max_rows
from .viewing import record_parcel_list_view, record_parcel_view, record_parcels_shown
from .voids import VOIDABLE, void_parcel

__all__ = [
    "BUILD_TASK",
    "CHUNK_TASK",
    "CONFIDENTIAL_RECIPIENT_NAME",
    "DOCUMENT_TASK",
    "ERASED_PARCEL_FIELDS",
    "MAX_ATTEMPTS",
    "PACKED_OR_LATER",
    "VOIDABLE",
    "RenderedDocument",
    # Private helpers that shipping.relabelling and the batch tests reach through this module.
    "_batch_rows",
    "_mark_substitutions",
    "_request_parcel",
    "_row_data",
    "anonymise_parcels",
    "batch_counts",
    "build_chunk",
    "build_document",
    "create_pantry_shipment",
    "default_storage",
    "dispatch_chunks",
    "document_kinds",
    "handed_over_statuses",
    "import_tracking",
    "mark_delivered",
    "mark_handed_over",
    "mark_packed",
    "open_batch",
    "open_due_batches",
    "parcels_for",
    "plan_batch",
    "purge_batch_documents",
    "record_parcel_list_view",
    "record_parcel_view",
    "record_parcels_shown",
    "refresh_batch_documents",
    "render_document",
    "resume_batch",
    "store_document",
    "stuck_batches",
    "tracking_import_max_rows",
    "void_parcel",
]
