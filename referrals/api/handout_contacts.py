"""The contact behind a window handout: recording the person who asked to be referred."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from foodbank.models import Role
from foodbank.selectors import site_ids
from inventory.models import Handout
from inventory.selectors import visible_handouts

from .. import services
from ..models import ConsentRecord
from ..referral_views import contact_recipient
from ..serializers import (
    HandoutContactIn,
    HandoutContactOut,
)
from ._common import REFERRAL_TAGS, REFUSALS, _require_roles


class HandoutReferralContactView(APIView):
    """At a handout where the person ticked ``referral_consent``: their name, contact and what they
    agree may be passed on, recorded by window staff of that window. The coordinator then refers
    them (``POST referrals/`` with ``{handout}``)."""

    @extend_schema(
        tags=REFERRAL_TAGS,
        request=HandoutContactIn,
        responses={201: HandoutContactOut, **REFUSALS},
        description=(
            "Window staff of the handout's window only: 403 for other roles, 404 for a handout of "
            "another window. 409 `consent_required` when the handout carries no referral consent "
            "(or was voided), 409 `contact_already_recorded` the second time. Nothing is written "
            "on a refusal."
        ),
    )
    def post(self, request, pk: int):

        _require_roles(request.user, Role.WINDOW_STAFF)
        try:
            handout = (
                visible_handouts(request.user)
                .filter(site_id__in=site_ids(request.user, Role.WINDOW_STAFF))
                .select_related("site")
                .get(pk=pk)
            )
        except Handout.DoesNotExist:
            raise Http404 from None
        data_in = HandoutContactIn(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = data_in.validated_data
        contact = services.record_handout_contact(
            handout_id=handout.pk,
            by=request.user,
            recipient=contact_recipient(
                site=handout.site,
                name=data["name"].strip(),
                name_kana=data["name_kana"].strip(),
                is_pseudonym=data["is_pseudonym"],
                phone=data["phone"],
            ),
            household_type=handout.household_type,
            household_size=handout.household_size,
            method=data["method"],
            witness_name=data["witness_name"].strip(),
            data_categories=data["data_categories"],
        )
        consent = ConsentRecord.objects.filter(recipient_id=contact.recipient_id).get()
        return Response(
            HandoutContactOut(
                {
                    "id": contact.pk,
                    "handout": handout.pk,
                    "recipient": contact.recipient_id,
                    "consent": {
                        "id": consent.pk,
                        "purpose": consent.purpose,
                        "data_categories": consent.data_categories,
                        "method": consent.method,
                    },
                    "created_at": contact.created_at,
                }
            ).data,
            status=status.HTTP_201_CREATED,
        )
