"""Navi intake: a self-referral's application, answers and on-screen consent."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .. import services
from ..models import ConsentRecord
from .delivery_requests import SituationIn, _NeedsIn
from .recipients import HouseholdIn, RecipientIn


class NaviAnswersIn(serializers.Serializer):
    lost_income = serializers.BooleanField(default=False)
    lost_job = serializers.BooleanField(default=False)
    has_debts = serializers.BooleanField(default=False)
    debts_note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    first_time_at_food_bank = serializers.BooleanField(required=False, allow_null=True, default=None)
    has_someone_to_consult = serializers.BooleanField(required=False, allow_null=True, default=None)
    wants_referral = serializers.BooleanField(
        default=False,
        help_text="Wants their details passed to a support agency (recorded as referral consent).",
    )


class NaviConsentIn(serializers.Serializer):
    share_with_foodbank = serializers.BooleanField()
    wording_version = serializers.CharField(
        max_length=32, required=False, default=services.CONSENT_WORDING_VERSION
    )
    given_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate_share_with_foodbank(self, value):
        if value is not True:
            raise serializers.ValidationError(
                _("An application needs consent to share details with the food bank.")
            )
        return value


class NaviApplicationIn(_NeedsIn):
    application_id = serializers.CharField(max_length=64, help_text="The Navi's id of the application.")
    recipient = RecipientIn()
    household = HouseholdIn()
    situation = SituationIn(required=False)
    answers = NaviAnswersIn()
    consent = NaviConsentIn()


def navi_consent_inputs(consent: dict, answers: dict) -> list[services.ConsentInput]:
    """A Navi applicant agrees on screen: sharing with the food bank, and the referral answer."""
    common = {
        "method": ConsentRecord.Method.ELECTRONIC,
        "wording_version": consent["wording_version"],
        "decided_at": consent["given_at"],
    }
    share_categories = [*services.CONSENT_SCOPE[ConsentRecord.Purpose.SHARE_WITH_FOODBANK][1], "debts"]
    return [
        services.ConsentInput(
            purpose=ConsentRecord.Purpose.SHARE_WITH_FOODBANK,
            decision=ConsentRecord.Decision.GIVEN,
            data_categories=share_categories,
            **common,
        ),
        services.ConsentInput(
            purpose=ConsentRecord.Purpose.REFERRAL,
            decision=ConsentRecord.Decision.GIVEN
            if answers["wants_referral"]
            else ConsentRecord.Decision.REFUSED,
            **common,
        ),
    ]
