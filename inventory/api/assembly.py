"""API of assembly: packs made at a warehouse (``inventory.services.assembly``)."""

from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from foodbank.idempotency import honours_idempotency_key, idempotent_create

from .. import serializers as s
from .. import services
from ..models import Assembly
from ._common import _managed_site, _sku, _validated


@extend_schema(tags=["inventory"], request=s.AssemblyIn, responses={201: s.AssemblyOut})
class AssemblyView(APIView):
    """Assemble packs in the warehouse from items (FEFO, current recipe). 409 `insufficient_stock`
    when an item is short."""

    @honours_idempotency_key
    def post(self, request):
        data = _validated(s.AssemblyIn, request)
        site = _managed_site(request, data["site"])
        pack_type = _sku(site.food_bank_id, {"pack_type": data["pack_type"]})["pack_type"]

        def create():
            return services.assemble_packs(
                site=site, pack_type=pack_type, quantity=data["quantity"], recorded_by=request.user
            )

        return idempotent_create(
            request,
            scope="inventory.assembly",
            create=create,
            render=lambda assembly: s.AssemblyOut(assembly).data,
            load=lambda pk: Assembly.objects.get(pk=pk),
        )
