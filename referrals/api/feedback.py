"""Feedback from recipients."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.views import APIView

from foodbank.api.schema import paginated
from foodbank.idempotency import honours_idempotency_key, idempotent_create
from foodbank.models import Role
from foodbank.selectors import food_bank_ids

from .. import selectors, services
from ..models import Feedback, Recipient
from ..serializers import (
    FeedbackIn,
    FeedbackOut,
)
from ._common import REFERRAL_TAGS, REFUSALS, _require_roles


class FeedbackListCreateView(APIView):
    """Recipients' messages (coordinators only: private ones included). Only ``may_be_published``
    messages ever leave the coordinator (exports, reports)."""

    @extend_schema(tags=REFERRAL_TAGS, responses={200: paginated(FeedbackOut), 403: REFUSALS[403]})
    def get(self, request):
        _require_roles(request.user, Role.COORDINATOR)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(selectors.visible_feedback(request.user), request, view=self)
        return paginator.get_paginated_response(FeedbackOut(page, many=True).data)

    @extend_schema(tags=REFERRAL_TAGS, request=FeedbackIn, responses={201: FeedbackOut, **REFUSALS})
    @honours_idempotency_key
    def post(self, request):
        _require_roles(request.user, Role.COORDINATOR)
        data_in = FeedbackIn(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = data_in.validated_data
        food_banks = food_bank_ids(request.user, Role.COORDINATOR)
        food_bank_id = data["food_bank"]
        if food_bank_id is None:
            if len(food_banks) > 1:
                raise serializers.ValidationError({"food_bank": [_("Say which food bank.")]})
            food_bank_id = next(iter(food_banks))
        elif food_bank_id not in food_banks:
            raise serializers.ValidationError({"food_bank": [_("Not a food bank you coordinate.")]})
        recipient_id = data["recipient"]
        if (
            recipient_id is not None
            and not Recipient.objects.filter(pk=recipient_id, food_bank_id=food_bank_id).exists()
        ):
            raise serializers.ValidationError({"recipient": [_("No such person.")]})
        return idempotent_create(
            request,
            scope="referrals.feedback",
            create=lambda: services.record_feedback(
                food_bank_id=food_bank_id,
                by=request.user,
                message=data["message"].strip(),
                may_be_published=data["may_be_published"],
                received_on=data.get("received_on") or timezone.localdate(),
                recipient_id=recipient_id,
            ),
            render=lambda feedback: FeedbackOut(feedback).data,
            load=lambda pk: Feedback.objects.get(pk=pk),
        )
