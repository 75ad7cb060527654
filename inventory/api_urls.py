"""API routes of `inventory`, mounted under /api/v1/."""

from django.urls import path

from . import intake_api
from .api import assembly, catalogue, corrections, handouts, ledger, receipts, restock, stock_takes

urlpatterns = [
    path("items/", catalogue.ItemListView.as_view(), name="api-items"),
    path("pack-types/", catalogue.PackTypeListView.as_view(), name="api-pack-types"),
    path("pack-types/<int:pk>/", catalogue.PackTypeDetailView.as_view(), name="api-pack-type-detail"),
    path("pack-types/<int:pk>/recipes/", catalogue.PackRecipeView.as_view(), name="api-pack-type-recipes"),
    path("sites/<int:pk>/stock/", ledger.SiteStockView.as_view(), name="api-site-stock"),
    path("sites/<int:pk>/item-stock/", ledger.SiteItemStockView.as_view(), name="api-site-item-stock"),
    path("stock-movements/", ledger.MovementListView.as_view(), name="api-stock-movements"),
    path(
        "stock-movements/<int:pk>/reverse/",
        corrections.ReverseMovementView.as_view(),
        name="api-stock-movement-reverse",
    ),
    path("stock-adjustments/", corrections.AdjustmentView.as_view(), name="api-stock-adjustments"),
    path("handouts/", handouts.HandoutListCreateView.as_view(), name="api-handouts"),
    path("handouts/<int:pk>/", handouts.HandoutDetailView.as_view(), name="api-handout-detail"),
    path("handouts/<int:pk>/void/", handouts.HandoutVoidView.as_view(), name="api-handout-void"),
    path("donation-receipts/", receipts.ReceiptListCreateView.as_view(), name="api-donation-receipts"),
    path("assemblies/", assembly.AssemblyView.as_view(), name="api-assemblies"),
    path("stock-takes/", stock_takes.StockTakeListCreateView.as_view(), name="api-stock-takes"),
    path("stock-takes/<int:pk>/", stock_takes.StockTakeDetailView.as_view(), name="api-stock-take-detail"),
    path(
        "stock-takes/<int:pk>/confirm/",
        stock_takes.StockTakeConfirmView.as_view(),
        name="api-stock-take-confirm",
    ),
    path("restock-shipments/", restock.RestockListCreateView.as_view(), name="api-restock-shipments"),
    path("restock-shipments/<int:pk>/", restock.RestockDetailView.as_view(), name="api-restock-detail"),
    path(
        "restock-shipments/<int:pk>/approve/",
        restock.RestockApproveView.as_view(),
        name="api-restock-approve",
    ),
    path(
        "restock-shipments/<int:pk>/cancel/", restock.RestockCancelView.as_view(), name="api-restock-cancel"
    ),
    path(
        "restock-shipments/<int:pk>/packed/", restock.RestockPackedView.as_view(), name="api-restock-packed"
    ),
    path(
        "restock-shipments/<int:pk>/receive/",
        restock.RestockReceiveView.as_view(),
        name="api-restock-receive",
    ),
    path("par-levels/", restock.ParLevelView.as_view(), name="api-par-levels"),
    # Food safety and traceability (docs/traceability.md)
    path("donors/", intake_api.DonorListCreateView.as_view(), name="api-donors"),
    path("donors/<int:pk>/", intake_api.DonorDetailView.as_view(), name="api-donor-detail"),
    path("donations/", intake_api.DonationListCreateView.as_view(), name="api-donations"),
    path("donations/<int:pk>/", intake_api.DonationDetailView.as_view(), name="api-donation-detail"),
]
