"""API of the reference data: items, pack types and their recipes (``inventory.services.catalogue``)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from foodbank import selectors as core
from foodbank.idempotency import honours_idempotency_key, idempotent_create

from .. import selectors, services
from .. import serializers as s
from ..models import Item
from ._common import _by_code, _coordinated_food_bank, _line_errors, _validated


@extend_schema(tags=["inventory"])
class ItemListView(generics.ListAPIView):
    """Items (loose goods) of your food bank. Coordinators add or update one by code with POST."""

    serializer_class = s.ItemSerializer
    filterset_fields = ["category", "active"]

    def get_queryset(self):
        return selectors.visible_items(self.request.user).order_by("category", "name", "pk")

    @extend_schema(request=s.ItemIn, responses={201: s.ItemSerializer})
    def post(self, request):
        data = _validated(s.ItemIn, request)
        food_bank_id = _coordinated_food_bank(request, data.pop("food_bank", None))
        item = services.upsert_item(
            food_bank=core.visible_organisations(request.user).get(pk=food_bank_id), **data
        )
        return Response(s.ItemSerializer(item).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["inventory"])
class PackTypeListView(generics.ListAPIView):
    """Pack types (``day1``, ``day3``, ``home``) with their current bill of contents. Coordinators add or
    update one by code with POST."""

    serializer_class = s.PackTypeSerializer

    def get_queryset(self):
        return selectors.visible_pack_types(self.request.user).order_by(
            "food_bank_id", "sort_order", "days", "pk"
        )

    @extend_schema(request=s.PackTypeIn, responses={201: s.PackTypeSerializer})
    def post(self, request):
        data = _validated(s.PackTypeIn, request)
        food_bank_id = _coordinated_food_bank(request, data.pop("food_bank", None))
        food_bank = core.visible_organisations(request.user).get(pk=food_bank_id)
        pack_type = services.upsert_pack_type(food_bank=food_bank, **data)
        return Response(s.PackTypeSerializer(pack_type).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["inventory"])
class PackTypeDetailView(generics.RetrieveAPIView):
    serializer_class = s.PackTypeSerializer

    def get_queryset(self):
        return selectors.visible_pack_types(self.request.user)


@extend_schema(tags=["inventory"], request=s.RecipeIn, responses={201: s.PackTypeSerializer})
class PackRecipeView(APIView):
    """A new version of the pack type's bill of contents (coordinators). Packs already assembled keep
    the version they were made with."""

    @honours_idempotency_key
    def post(self, request, pk: int):
        pack_type = get_object_or_404(selectors.visible_pack_types(request.user), pk=pk)
        if not selectors.is_coordinator_of(request.user, pack_type.food_bank_id):
            raise PermissionDenied()
        data = _validated(s.RecipeIn, request)
        items = _by_code(Item, pack_type.food_bank_id, (line["item"] for line in data["lines"]))
        _line_errors(data["lines"], "item", items)

        def create():
            return services.set_pack_recipe(
                pack_type=pack_type,
                lines=[(items[line["item"]], line["quantity"]) for line in data["lines"]],
                created_by=request.user,
                note=data["note"],
            )

        # The answer is the pack type with its current recipe, on a replay too.
        return idempotent_create(
            request,
            scope="inventory.pack_recipe",
            create=create,
            render=lambda _recipe: (
                s.PackTypeSerializer(selectors.visible_pack_types(request.user).get(pk=pk)).data
            ),
            load=lambda recipe_pk: recipe_pk,
        )
