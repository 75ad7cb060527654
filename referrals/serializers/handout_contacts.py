"""The contact behind a window handout, in and out."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from foodbank.validators import refuse_bidi_controls

from ..models import (
    ConsentRecord,
)
from ..validation import FieldErrors, normalise_phone

SHAREABLE = ["identity", "contact", "household", "situation"]


class HandoutContactIn(serializers.Serializer):
    """The person at a window handout (with ``referral_consent``) who gave a name and contact."""

    name = serializers.CharField(
        max_length=64, help_text="A pseudonym is fine (set is_pseudonym).", validators=[refuse_bidi_controls]
    )
    is_pseudonym = serializers.BooleanField(default=False)
    name_kana = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default="", validators=[refuse_bidi_controls]
    )
    phone = serializers.CharField(max_length=32, help_text="Japanese number, e.g. 090-1234-5678.")
    data_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=SHAREABLE),
        min_length=1,
        default=["identity", "contact"],
        help_text="What the person agrees may be passed to the consultation service.",
    )
    method = serializers.ChoiceField(
        choices=ConsentRecord.Method.choices,
        default=ConsentRecord.Method.VERBAL,
        help_text="`verbal` (you are the witness unless witness_name says otherwise) or `signed_form`.",
    )
    witness_name = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Default: you.",
        validators=[refuse_bidi_controls],
    )

    def validate_phone(self, value: str) -> str:
        try:
            return normalise_phone(value)
        except FieldErrors as exc:
            raise serializers.ValidationError(exc.errors["phone"]) from None

    def validate_method(self, value: str) -> str:
        if value == ConsentRecord.Method.ELECTRONIC:
            raise serializers.ValidationError(_("At a window, consent is verbal or on a signed form."))
        return value


class HandoutContactConsentOut(serializers.Serializer):
    id = serializers.IntegerField()
    purpose = serializers.CharField()
    data_categories = serializers.ListField(child=serializers.CharField())
    method = serializers.CharField()


class HandoutContactOut(serializers.Serializer):
    id = serializers.IntegerField()
    handout = serializers.IntegerField()
    recipient = serializers.IntegerField()
    consent = HandoutContactConsentOut()
    created_at = serializers.DateTimeField()
