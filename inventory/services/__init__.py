"""Writes of the inventory domain. Every change of stock goes through here.

Rules (see docs/inventory.md):

- Each function owns its transaction. Stock rows (``Balance``) are locked with
  ``SELECT … FOR UPDATE`` in primary-key order (``inventory.locks``), every line is checked before
  anything is written, and the movements and the balance updates are written together.
- The ledger is append-only: corrections are reversing movements (``void_handout``,
  ``reverse_movement``).
- First expiry first out: stock is taken from the lot with the earliest best-before date; expired
  lots are never handed out, packed or assembled (they wait for a write-off).

The shipping app calls ``reserve_stock``, ``consume_reservation``, ``release_reservation``,
``mark_restock_booked``, ``unbook_restock``, ``mark_restock_packed`` and reads
``inventory.selectors.restock_shipments_ready_for_dispatch``; the window confirms with
``confirm_restock_receipt``.

One module per capability:

- ``ledger``: a lot's key, ``StockNeed``, locking, FEFO allocation, balance updates, movements;
- ``catalogue``: items, pack types, recipes;
- ``receipts``: donations in;
- ``assembly``: packs made from items at a warehouse;
- ``handouts``: handouts at a window, voiding them, erasing old notes;
- ``corrections``: reversing movements, adjustments and write-offs;
- ``stock_takes``: counts and their confirmation;
- ``reservations``: stock set apart for shipping, consumed, released, returned;
- ``restock``: a window's par levels, restock shipments from its warehouse;
- ``planning``: nightly par levels for holiday peaks, restock proposals, expiry reports.

Every public name is re-exported here, so callers keep writing ``services.record_handout(...)``.
"""

from .assembly import assemble_packs, current_recipe
from .catalogue import (
    next_recipe_version,
    set_pack_recipe,
    set_pack_type_alternatives,
    upsert_item,
    upsert_pack_type,
)
from .corrections import REVERSIBLE, record_adjustment, reverse_movement
from .handouts import erase_handout_notes, record_handout, void_handout
from .ledger import Key, Sku, StockNeed
from .planning import (
    PEAK_DEMAND_DAYS_BEFORE,
    PEAKS,
    Peak,
    build_expiry_reports,
    propose_restocks,
    raise_seasonal_par_levels,
    upcoming_peak,
)
from .receipts import ReceiptLineIn, book_receipt, record_donation_receipt
from .reservations import (
    Alternative,
    ReservedMany,
    Substitution,
    consume_reservation,
    release_reservation,
    reserve_stock,
    reserve_stock_many,
    return_packed_stock,
)
from .restock import (
    approve_restock,
    cancel_restock,
    confirm_restock_receipt,
    default_warehouse,
    mark_restock_booked,
    mark_restock_packed,
    request_restock,
    set_par_level,
    unbook_restock,
    unpack_restock,
)
from .stock_takes import CountIn, cancel_stock_take, confirm_stock_take, record_stock_take

__all__ = [
    "PEAKS",
    "PEAK_DEMAND_DAYS_BEFORE",
    "REVERSIBLE",
    "Alternative",
    "CountIn",
    "Key",
    "Peak",
    "ReceiptLineIn",
    "ReservedMany",
    "Sku",
    "StockNeed",
    "Substitution",
    "approve_restock",
    "assemble_packs",
    "book_receipt",
    "build_expiry_reports",
    "cancel_restock",
    "cancel_stock_take",
    "confirm_restock_receipt",
    "confirm_stock_take",
    "consume_reservation",
    "current_recipe",
    "default_warehouse",
    "erase_handout_notes",
    "mark_restock_booked",
    "mark_restock_packed",
    "next_recipe_version",
    "propose_restocks",
    "raise_seasonal_par_levels",
    "record_adjustment",
    "record_donation_receipt",
    "record_handout",
    "record_stock_take",
    "release_reservation",
    "request_restock",
    "reserve_stock",
    "reserve_stock_many",
    "return_packed_stock",
    "reverse_movement",
    "set_pack_recipe",
    "set_pack_type_alternatives",
    "set_par_level",
    "unbook_restock",
    "unpack_restock",
    "upcoming_peak",
    "upsert_item",
    "upsert_pack_type",
    "void_handout",
]
