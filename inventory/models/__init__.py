"""Stock of food at every site: items, pack types, the ledger of movements and the balances beside it.

The ledger (``StockMovement``) is append-only: a mistake is corrected by a reversing movement, never
by editing one. ``Balance`` holds the current stock per site, stock-keeping unit (an item or a pack
type) and best-before lot, and is changed only in the same transaction as the movements that explain
it (``inventory.services``). Invariants, checked by ``manage.py verify_stock_ledger``:

- for every lot, ``on_hand + reserved`` equals the sum of its movements' quantities;
- ``reserved`` equals the open reservations' quantities for that lot;
- neither ``on_hand`` nor ``reserved`` is ever negative (check constraints refuse it).

Stock in transit to a window is the lots of restock shipments that left the warehouse (``packed``)
and have not been received yet: it belongs to neither site's balance until the window confirms.

One module per capability, named as in ``inventory.services``: ``catalogue``, ``ledger``,
``receipts``, ``assembly``, ``handouts``, ``restock``, ``reservations``, ``stock_takes``,
``planning``; shared constraints in ``_common``. Every model is re-exported here, so
``inventory.models.Balance`` and the migrations' references stay as they were.
"""

# Imported in the order the models were declared when this was one module, so the app registry
# (content types, ``apps.get_models()``) lists them as before.
# isort: off
# Donors, lots, recalls and incidents live in their own module (docs/traceability.md).
from ..lot_models import DateLabel, Donor, Incident, Lot, Recall, StorageClass
from .catalogue import Item, PackType, PackSizing, PackRecipe, PackRecipeLine
from .ledger import Balance, MovementKind, ReasonCode, StockMovement
from .receipts import DonationReceipt, DonationReceiptLine
from .assembly import Assembly
from .handouts import HandoutHouseholdType, Handout, HandoutLine
from .restock import ParLevel, RestockShipment, RestockLine
from .reservations import Reservation, ReservationLine
from .stock_takes import StockTake, StockTakeLine
from .planning import ExpiryReport

# isort: on
from ._common import FOOD_BANK_ONLY

__all__ = [
    "FOOD_BANK_ONLY",
    "Assembly",
    "Balance",
    "DateLabel",
    "DonationReceipt",
    "DonationReceiptLine",
    "Donor",
    "ExpiryReport",
    "Handout",
    "HandoutHouseholdType",
    "HandoutLine",
    "Incident",
    "Item",
    "Lot",
    "MovementKind",
    "PackRecipe",
    "PackRecipeLine",
    "PackSizing",
    "PackType",
    "ParLevel",
    "ReasonCode",
    "Recall",
    "Reservation",
    "ReservationLine",
    "RestockLine",
    "RestockShipment",
    "StockMovement",
    "StockTake",
    "StockTakeLine",
    "StorageClass",
]
