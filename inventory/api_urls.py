"""API routes of `inventory`, mounted under /api/v1/."""

from django.urls import path

from . import api, intake_api

urlpatterns = [
    path("items/", api.ItemListView.as_view(), name="api-items"),
    path("pack-types/", api.PackTypeListView.as_view(), name="api-pack-types"),
    path("pack-types/<int:pk>/", api.PackTypeDetailView.as_view(), name="api-pack-type-detail"),
    path("pack-types/<int:pk>/recipes/", api.PackRecipeView.as_view(), name="api-pack-type-recipes"),
    path("sites/<int:pk>/stock/", api.SiteStockView.as_view(), name="api-site-stock"),
    path("sites/<int:pk>/item-stock/", api.SiteItemStockView.as_view(), name="api-site-item-stock"),
    path("stock-movements/", api.MovementListView.as_view(), name="api-stock-movements"),
    path(
        "stock-movements/<int:pk>/reverse/",
        api.ReverseMovementView.as_view(),
        name="api-stock-movement-reverse",
    ),
    path("stock-adjustments/", api.AdjustmentView.as_view(), name="api-stock-adjustments"),
    path("handouts/", api.HandoutListCreateView.as_view(), name="api-handouts"),
    path("handouts/<int:pk>/", api.HandoutDetailView.as_view(), name="api-handout-detail"),
    path("handouts/<int:pk>/void/", api.HandoutVoidView.as_view(), name="api-handout-void"),
    path("donation-receipts/", api.ReceiptListCreateView.as_view(), name="api-donation-receipts"),
    path("assemblies/", api.AssemblyView.as_view(), name="api-assemblies"),
    path("stock-takes/", api.StockTakeListCreateView.as_view(), name="api-stock-takes"),
    path("stock-takes/<int:pk>/", api.StockTakeDetailView.as_view(), name="api-stock-take-detail"),
    path("stock-takes/<int:pk>/confirm/", api.StockTakeConfirmView.as_view(), name="api-stock-take-confirm"),
    path("restock-shipments/", api.RestockListCreateView.as_view(), name="api-restock-shipments"),
    path("restock-shipments/<int:pk>/", api.RestockDetailView.as_view(), name="api-restock-detail"),
    path("restock-shipments/<int:pk>/approve/", api.RestockApproveView.as_view(), name="api-restock-approve"),
    path("restock-shipments/<int:pk>/cancel/", api.RestockCancelView.as_view(), name="api-restock-cancel"),
    path("restock-shipments/<int:pk>/packed/", api.RestockPackedView.as_view(), name="api-restock-packed"),
    path("restock-shipments/<int:pk>/receive/", api.RestockReceiveView.as_view(), name="api-restock-receive"),
    path("par-levels/", api.ParLevelView.as_view(), name="api-par-levels"),
    # Food safety and traceability (docs/traceability.md)
    path("donors/", intake_api.DonorListCreateView.as_view(), name="api-donors"),
    path("donors/<int:pk>/", intake_api.DonorDetailView.as_view(), name="api-donor-detail"),
    path("donations/", intake_api.DonationListCreateView.as_view(), name="api-donations"),
    path("donations/<int:pk>/", intake_api.DonationDetailView.as_view(), name="api-donation-detail"),
]
