"""API of handouts at a window: list, record, read and void (``inventory.services.handouts``)."""

from contextlib import contextmanager

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from foodbank import selectors as core
from foodbank.idempotency import honours_idempotency_key, idempotent_create
from foodbank.models import Role

from .. import selectors, services
from .. import serializers as s
from ..exceptions import UnknownPackType
from ._common import _int_param, _sees_window, _validated


@extend_schema(tags=["handouts"])
class HandoutListCreateView(generics.ListAPIView):
    """Handouts at windows. Window staff see their own window's, coordinators their food bank's;
    ``?site=`` narrows to one window (404 if it is not one you see)."""

    serializer_class = s.HandoutOut

    @extend_schema(parameters=[OpenApiParameter("site", OpenApiTypes.INT)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        qs = selectors.visible_handouts(self.request.user)
        site = self.request.query_params.get("site")
        if site:
            site_id = _int_param(site, "site")
            if not _sees_window(self.request.user, site_id):
                raise NotFound()
            qs = qs.filter(site_id=site_id)
        return qs.order_by("-occurred_at", "-pk")

    @extend_schema(
        request=s.HandoutIn,
        responses={201: s.HandoutOut},
        description=(
            "Hand out sets at your window. 409 `insufficient_stock` (with `shortages`) when any line is "
            "short: nothing is recorded. A retry with the same `Idempotency-Key` and body returns the "
            "first answer; the same key with another body is 422. Window staff of that window only: "
            "403 if you are not window staff, 404 for a window that is not yours."
        ),
    )
    @honours_idempotency_key
    def post(self, request):
        if not core.has_role(request.user, Role.WINDOW_STAFF):
            raise PermissionDenied()
        data = s.plain_handout_input(request.data) or _validated(s.HandoutIn, request)
        site = selectors.window_of(request.user, data["site"])
        if site is None:
            raise NotFound()
        lines = {line["pack_type"]: line["quantity"] for line in data["lines"]}

        def create():
            with _unknown_pack_types(data["lines"]):
                return services.record_handout(
                    site=site,
                    lines=lines,
                    household_size=data["household"]["size"],
                    household_type=data["household"]["type"],
                    referral_consent=data["referral_consent"],
                    condition_checked=data["condition_checked"],
                    note=data["note"],
                    occurred_at=data.get("occurred_at"),
                    recorded_by=request.user,
                )

        return idempotent_create(
            request,
            scope="inventory.handout",
            create=create,
            render=lambda handout: s.HandoutOut(handout).data,
            load=selectors.handout_for_render,
        )


@contextmanager
def _unknown_pack_types(lines: list[dict]):
    try:
        yield
    except UnknownPackType as exc:
        errors = {
            index: {"pack_type": [_("Unknown pack type.")]}
            for index, line in enumerate(lines)
            if line["pack_type"] in exc.codes
        }
        raise serializers.ValidationError({"lines": errors}) from exc


@extend_schema(tags=["handouts"])
class HandoutDetailView(generics.RetrieveAPIView):
    serializer_class = s.HandoutOut

    def get_queryset(self):
        return selectors.visible_handouts(self.request.user)


@extend_schema(tags=["handouts"], request=None, responses=s.HandoutOut)
class HandoutVoidView(APIView):
    """Void a handout logged by mistake: reversing movements put the sets back (window staff of that
    window, coordinators)."""

    def post(self, request, pk: int):
        handout = get_object_or_404(selectors.visible_handouts(request.user), pk=pk)
        services.void_handout(handout_id=handout.pk, voided_by=request.user)
        return Response(s.HandoutOut(selectors.handout_for_render(handout.pk)).data)
