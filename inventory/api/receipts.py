"""API of donations in: donation receipts (``inventory.services.receipts``)."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics

from foodbank.idempotency import honours_idempotency_key, idempotent_create

from .. import selectors, services
from .. import serializers as s
from ..models import Item
from ._common import _by_code, _line_errors, _managed_site, _validated


@extend_schema(tags=["inventory"])
class ReceiptListCreateView(generics.ListAPIView):
    """Donations received (coordinators, warehouse volunteers): donor type, weight, items with
    best-before dates."""

    serializer_class = s.ReceiptOut

    def get_queryset(self):
        return selectors.visible_receipts(self.request.user).order_by("-received_at", "-pk")

    @extend_schema(
        request=s.ReceiptIn,
        responses={201: s.ReceiptOut},
    )
    @honours_idempotency_key
    def post(self, request):
        data = _validated(s.ReceiptIn, request)
        site = _managed_site(request, data["site"])
        items = _by_code(Item, site.food_bank_id, (line["item"] for line in data["lines"]))
        _line_errors(data["lines"], "item", items)
        lines = [
            services.ReceiptLineIn(
                item=items[x["item"]], quantity=x["quantity"], best_before=x["best_before"]
            )
            for x in data["lines"]
        ]

        def create():
            return services.record_donation_receipt(
                site=site,
                donor_type=data["donor_type"],
                donor_name=data["donor_name"],
                weight_kg=data["weight_kg"],
                reference=data["reference"],
                note=data["note"],
                received_at=data.get("received_at"),
                lines=lines,
                recorded_by=request.user,
            )

        return idempotent_create(
            request,
            scope="inventory.receipt",
            create=create,
            render=lambda receipt: s.ReceiptOut(receipt).data,
            load=lambda pk: selectors.visible_receipts(request.user).get(pk=pk),
        )
