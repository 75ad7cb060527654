"""API of donors and intake inspection (docs/traceability.md).

Donors: coordinators manage their food bank's registry; warehouse volunteers read who the donors
are (no contact details) to record an intake. Donations: coordinators and warehouse volunteers
record an inspected donation at a warehouse; everyone else is refused (403), and a site or donor of
another food bank is 404.
"""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from foodbank import selectors as core
from foodbank.idempotency import honours_idempotency_key, idempotent_create
from foodbank.models import Organisation, Role

from . import intake
from . import intake_serializers as s
from .api._common import (
    _by_code,
    _coordinated_food_bank,
    _line_errors,
    _managed_site,
    _validated,
)
from .lot_models import Donor
from .models import DonationReceipt, DonationReceiptLine, Item


def donor_food_banks(user) -> set[int]:
    """Food banks whose donors the user may see: coordinators' and warehouse volunteers'."""
    return core.food_bank_ids(user, Role.COORDINATOR, Role.VOLUNTEER)


def visible_donors(user) -> QuerySet[Donor]:
    return Donor.objects.filter(food_bank_id__in=donor_food_banks(user))


def visible_donations(user) -> QuerySet[DonationReceipt]:
    return (
        DonationReceipt.objects.filter(food_bank_id__in=donor_food_banks(user))
        .select_related("donor")
        .prefetch_related(
            Prefetch(
                "lines", queryset=DonationReceiptLine.objects.select_related("item", "lot").order_by("pk")
            )
        )
    )


def _is_coordinator_of(user, food_bank_id: int) -> bool:
    return food_bank_id in core.food_bank_ids(user, Role.COORDINATOR)


@extend_schema(tags=["traceability"])
class DonorListCreateView(generics.ListAPIView):
    """Donors of your food bank. Coordinators see contact and agreement; warehouse volunteers see who
    they are. Coordinators register one with POST (an individual may stay anonymous: blank name)."""

    serializer_class = s.DonorSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Donor.objects.none()
        if not donor_food_banks(self.request.user):
            raise PermissionDenied()
        return visible_donors(self.request.user).order_by("kind", "name", "pk")

    def list(self, request, *args, **kwargs):
        donors = self.paginate_queryset(self.get_queryset())
        coordinated = core.food_bank_ids(request.user, Role.COORDINATOR)
        data = [
            (s.DonorSerializer if d.food_bank_id in coordinated else s.DonorBriefSerializer)(d).data
            for d in donors
        ]
        return self.get_paginated_response(data)

    @extend_schema(
        request=s.DonorIn,
        responses={201: s.DonorSerializer},
    )
    @honours_idempotency_key
    def post(self, request):
        food_bank_id = _coordinated_food_bank(request, None)
        data = _validated(s.DonorIn, request)

        def create():
            return intake.save_donor(food_bank=Organisation.objects.get(pk=food_bank_id), **data)

        return idempotent_create(
            request,
            scope="inventory.donor",
            create=create,
            render=lambda donor: s.DonorSerializer(donor).data,
            load=lambda pk: Donor.objects.get(pk=pk),
        )


@extend_schema(tags=["traceability"])
class DonorDetailView(APIView):
    """One donor (coordinators of its food bank). PATCH changes contact, agreement or status."""

    def _donor(self, request, pk: int) -> Donor:
        donor = get_object_or_404(visible_donors(request.user), pk=pk)
        if not _is_coordinator_of(request.user, donor.food_bank_id):
            raise PermissionDenied()
        return donor

    @extend_schema(responses=s.DonorSerializer)
    def get(self, request, pk: int):
        return Response(s.DonorSerializer(self._donor(request, pk)).data)

    @extend_schema(request=s.DonorIn, responses=s.DonorSerializer)
    def patch(self, request, pk: int):
        donor = self._donor(request, pk)
        serializer = s.DonorIn(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        donor = intake.save_donor(food_bank=donor.food_bank, donor=donor, **serializer.validated_data)
        return Response(s.DonorSerializer(donor).data)


@extend_schema(tags=["traceability"])
class DonationListCreateView(generics.ListAPIView):
    """Inspected donations (coordinators, warehouse volunteers). POST records one: every line with its
    inspection; accepted lines become lots in stock, rejected lines (with a reason) write no stock."""

    serializer_class = s.DonationOut

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DonationReceipt.objects.none()
        if not donor_food_banks(self.request.user):
            raise PermissionDenied()
        return visible_donations(self.request.user).order_by("-received_at", "-pk")

    @extend_schema(
        request=s.DonationIn,
        responses={201: s.DonationOut},
    )
    @honours_idempotency_key
    def post(self, request):
        if not core.has_role(request.user, Role.COORDINATOR, Role.VOLUNTEER):
            raise PermissionDenied()
        data = _validated(s.DonationIn, request)
        site = _managed_site(request, data["site"])
        donor = Donor.objects.filter(pk=data["donor"], food_bank_id=site.food_bank_id).first()
        if donor is None:
            raise serializers.ValidationError({"donor": ["Unknown donor."]})
        items = _by_code(Item, site.food_bank_id, (line["item"] for line in data["lines"]))
        _line_errors(data["lines"], "item", items)
        lines = [intake.InspectedLine(**{**x, "item": items[x["item"]]}) for x in data["lines"]]
        errors = intake.inspection_errors(
            lines, today=timezone.localdate(data.get("received_at") or timezone.now())
        )
        if errors:
            raise serializers.ValidationError({"lines": errors})

        def create():
            return intake.record_inspected_donation(
                site=site,
                donor=donor,
                lines=lines,
                checked_by=request.user,
                received_at=data.get("received_at"),
                reference=data["reference"],
                note=data["note"],
            )

        return idempotent_create(
            request,
            scope="inventory.donation",
            create=create,
            render=lambda receipt: s.DonationOut(visible_donations(request.user).get(pk=receipt.pk)).data,
            load=lambda pk: visible_donations(request.user).get(pk=pk),
        )


@extend_schema(tags=["traceability"])
class DonationDetailView(generics.RetrieveAPIView):
    serializer_class = s.DonationOut

    def get_queryset(self):
        if not donor_food_banks(self.request.user):
            raise NotFound()
        return visible_donations(self.request.user)
