"""Thin API views of the inventory: validate input, call one service, render the result.

Scope: an object outside what the user may see is 404 (``inventory.selectors``); an action the
user's role does not allow is 403. Posting a handout for a window one is not staff of is 404 (the
window is not theirs to see), from a user who is not window staff anywhere 403.

One module per capability, named as in ``inventory.services`` (``catalogue``, ``ledger``,
``corrections``, ``handouts``, ``receipts``, ``assembly``, ``stock_takes``, ``restock``); what the
views share is in ``_common``. ``inventory/api_urls.py`` routes to the modules; the views are
re-exported here too.
"""

from .assembly import AssemblyView
from .catalogue import ItemListView, PackRecipeView, PackTypeDetailView, PackTypeListView
from .corrections import AdjustmentView, ReverseMovementView
from .handouts import HandoutDetailView, HandoutListCreateView, HandoutVoidView
from .ledger import MovementListView, SiteItemStockView, SiteStockView
from .receipts import ReceiptListCreateView
from .restock import (
    ParLevelView,
    RestockApproveView,
    RestockCancelView,
    RestockDetailView,
    RestockListCreateView,
    RestockPackedView,
    RestockReceiveView,
)
from .stock_takes import StockTakeConfirmView, StockTakeDetailView, StockTakeListCreateView

__all__ = [
    "AdjustmentView",
    "AssemblyView",
    "HandoutDetailView",
    "HandoutListCreateView",
    "HandoutVoidView",
    "ItemListView",
    "MovementListView",
    "PackRecipeView",
    "PackTypeDetailView",
    "PackTypeListView",
    "ParLevelView",
    "ReceiptListCreateView",
    "RestockApproveView",
    "RestockCancelView",
    "RestockDetailView",
    "RestockListCreateView",
    "RestockPackedView",
    "RestockReceiveView",
    "ReverseMovementView",
    "SiteItemStockView",
    "SiteStockView",
    "StockTakeConfirmView",
    "StockTakeDetailView",
    "StockTakeListCreateView",
]
