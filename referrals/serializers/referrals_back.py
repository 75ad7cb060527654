"""Referrals back to consultation services, in and out."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from foodbank.ids import IdField

from .. import selectors


class ReferralTargetIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["site", "organisation"])
    id = IdField()


class ReferralIn(serializers.Serializer):
    """Exactly one of ``delivery_request``, ``handout`` or ``recipient``; ``target`` overrides the
    proposed window or agency."""

    delivery_request = IdField(required=False)
    handout = IdField(required=False)
    recipient = IdField(required=False)
    target = ReferralTargetIn(required=False)
    needs = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def validate(self, attrs):
        given = [name for name in ("delivery_request", "handout", "recipient") if name in attrs]
        if len(given) != 1:
            raise serializers.ValidationError(
                {"non_field_errors": [_("Give exactly one of delivery_request, handout or recipient.")]}
            )
        return attrs


class ReferralContactedIn(serializers.Serializer):
    date = serializers.DateField()
    outcome = serializers.CharField(max_length=2000)


class ReferralCloseIn(serializers.Serializer):
    outcome = serializers.CharField(max_length=2000)


class ReferralHouseholdOut(serializers.Serializer):
    type = serializers.CharField()
    adults = serializers.IntegerField()
    children = serializers.IntegerField()
    infants = serializers.IntegerField()
    elderly = serializers.IntegerField()


class ReferralSituationOut(serializers.Serializer):
    category = serializers.CharField()
    note = serializers.CharField()


class ReferralPersonOut(serializers.Serializer):
    """What the target may see: only the categories the consent covered (absent keys were not
    shared)."""

    municipality = serializers.CharField()
    needs = serializers.CharField()
    name = serializers.CharField(required=False)
    name_kana = serializers.CharField(required=False)
    is_pseudonym = serializers.BooleanField(required=False)
    phone = serializers.CharField(required=False)
    postal_code = serializers.CharField(required=False)
    address = serializers.CharField(required=False)
    household = ReferralHouseholdOut(required=False)
    situation = ReferralSituationOut(required=False)
    debts = serializers.CharField(required=False)


class ReferralTargetOut(serializers.Serializer):
    kind = serializers.CharField()
    id = serializers.IntegerField()
    name = serializers.CharField()


class ReferralEventOut(serializers.Serializer):
    kind = serializers.CharField()
    at = serializers.DateTimeField()
    by = serializers.CharField(allow_null=True)
    note = serializers.CharField()


class ReferralOut(serializers.Serializer):
    """A referral as its target and the coordinator see it. ``person`` is null once the person
    withdrew their consent: the referral stays visible as withdrawn."""

    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.CharField()
    source = serializers.CharField()
    delivery_request = serializers.IntegerField(allow_null=True)
    target = ReferralTargetOut()
    shared_categories = serializers.ListField(child=serializers.CharField())
    person = ReferralPersonOut(allow_null=True)
    withdrawn = serializers.BooleanField()
    escalated = serializers.BooleanField()
    sent_at = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    contacted_on = serializers.DateField(allow_null=True)
    contact_outcome = serializers.CharField()
    closed_at = serializers.DateTimeField(allow_null=True)
    outcome = serializers.CharField()
    events = ReferralEventOut(many=True)


def referral_out(referral, events) -> dict:
    """The plain shape ``ReferralOut`` documents, from a referral loaded by
    ``selectors.visible_referrals`` and its trail."""
    target = referral.target
    withdrawn = referral.withdrawn
    return ReferralOut(
        {
            "id": referral.pk,
            "reference": referral.reference,
            "status": referral.status,
            "source": referral.source,
            "delivery_request": referral.delivery_request_id,
            "target": {
                "kind": "site" if referral.target_site_id else "organisation",
                "id": target.pk,
                "name": target.name,
            },
            "shared_categories": list(referral.shared_categories),
            "person": selectors.shared_details(referral),
            "withdrawn": withdrawn,
            "escalated": referral.escalated_at is not None,
            "sent_at": referral.sent_at,
            "acknowledged_at": referral.acknowledged_at,
            "contacted_on": referral.contacted_on,
            "contact_outcome": "" if withdrawn else referral.contact_outcome,
            "closed_at": referral.closed_at,
            "outcome": "" if withdrawn else referral.outcome,
            "events": [
                {
                    "kind": e.kind,
                    "at": e.at,
                    "by": e.by.get_username() if e.by_id else None,
                    "note": "" if withdrawn else e.note,
                }
                for e in events
            ],
        }
    ).data
