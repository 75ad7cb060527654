"""The monthly programme: enrolling a household and ending its enrolment."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from foodbank.api.schema import paginated
from foodbank.idempotency import honours_idempotency_key, idempotent_create
from foodbank.models import Role

from .. import selectors, services
from ..models import Enrolment
from ..serializers import (
    EndEnrolmentIn,
    EnrolmentIn,
    EnrolmentOut,
)
from ._common import REFUSALS, _require_roles, _visible_request


class EnrolmentListCreateView(APIView):
    """Single-parent households enrolled in the monthly parcel."""

    @extend_schema(
        tags=["monthly programme"],
        operation_id="v1_enrolments_list",
        responses={200: paginated(EnrolmentOut), 403: REFUSALS[403]},
    )
    def get(self, request):
        _require_roles(request.user, Role.COORDINATOR, Role.CASE_WORKER)
        qs = selectors.visible_enrolments(request.user).order_by("-created_at", "-pk")
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(EnrolmentOut(page, many=True).data)

    @extend_schema(tags=["monthly programme"], request=EnrolmentIn, responses={201: EnrolmentOut, **REFUSALS})
    @honours_idempotency_key
    def post(self, request):
        _require_roles(request.user, Role.COORDINATOR, Role.CASE_WORKER)
        data = EnrolmentIn(data=request.data)
        data.is_valid(raise_exception=True)
        obj = _visible_request(request.user, data.validated_data["delivery_request"])
        if not selectors.may_cancel(request.user, obj):
            raise PermissionDenied(_("Only the filing agency or a coordinator may enrol this household."))
        return idempotent_create(
            request,
            scope="referrals.enrolment",
            create=lambda: services.enrol_in_monthly_programme(
                request_id=obj.pk, by=request.user, starts_on=data.validated_data["starts_on"]
            ),
            render=lambda enrolment: EnrolmentOut(enrolment).data,
            load=lambda pk: Enrolment.objects.get(pk=pk),
        )


class EndEnrolmentView(APIView):
    @extend_schema(
        tags=["monthly programme"], request=EndEnrolmentIn, responses={200: EnrolmentOut, **REFUSALS}
    )
    def post(self, request, pk: int):
        _require_roles(request.user, Role.COORDINATOR, Role.CASE_WORKER)
        try:
            enrolment = selectors.visible_enrolments(request.user).get(pk=pk)
        except Enrolment.DoesNotExist:
            raise Http404 from None
        data = EndEnrolmentIn(data=request.data)
        data.is_valid(raise_exception=True)
        enrolment = services.end_enrolment(
            enrolment_id=enrolment.pk, by=request.user, last_month=data.validated_data["last_month"]
        )
        return Response(EnrolmentOut(enrolment).data)
