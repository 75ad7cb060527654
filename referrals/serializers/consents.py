"""Consents: the consent given with a request, later decisions, withdrawals, and their records."""

from datetime import timedelta, tzinfo

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from foodbank.ids import IdField

from .. import services
from ..models import (
    ConsentRecord,
)
from ._common import _dt


class _ConsentHow(serializers.Serializer):
    # How a consent decision was taken, the same for the consent filed with a request and for a
    # later decision: the method (and its witness), the wording, and a guardian. (A comment, not a
    # docstring: the schema would give it to the subclasses as their description.)

    method = serializers.ChoiceField(
        choices=ConsentRecord.Method.choices, default=ConsentRecord.Method.SIGNED_FORM
    )
    witness_name = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when method is verbal (a witness to the spoken consent).",
    )
    wording_version = serializers.CharField(
        max_length=32, required=False, default=services.CONSENT_WORDING_VERSION
    )
    by_guardian = serializers.BooleanField(required=False, default=False)
    guardian_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


def _how_errors(attrs: dict) -> dict[str, list]:
    errors = {}
    if attrs["method"] == ConsentRecord.Method.VERBAL and not attrs["witness_name"].strip():
        errors["witness_name"] = [_("Verbal consent needs the name of a witness.")]
    if attrs["by_guardian"] and not attrs["guardian_name"].strip():
        errors["guardian_name"] = [_("Name the guardian who gave consent.")]
    return errors


class ConsentIn(_ConsentHow):
    share_with_foodbank = serializers.BooleanField(
        help_text="The person agreed that their details go to the food bank (required to file)."
    )
    referral = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Referral to consultation services."
    )
    phone_contact = serializers.BooleanField(required=False, allow_null=True, default=None)
    given_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        return check_consent(attrs)


def check_consent(attrs: dict) -> dict:
    """ConsentIn's checks across its fields (serializer and plain input path alike)."""
    errors = {}
    if attrs["share_with_foodbank"] is not True:
        errors["share_with_foodbank"] = [
            _("A request can only be filed with the person's consent to share their details.")
        ]
    errors.update(_how_errors(attrs))
    if attrs["given_at"] and attrs["given_at"] > timezone.now() + timedelta(minutes=5):
        errors["given_at"] = [_("Consent cannot be given in the future.")]
    if errors:
        raise serializers.ValidationError(errors)
    return attrs


def agency_consent_inputs(consent: dict) -> list[services.ConsentInput]:
    """The consent block of an agency's request as consent records: sharing (given), and referral
    and phone contact when the case worker answered them (given or refused)."""
    common = {
        "method": consent["method"],
        "witness_name": consent["witness_name"].strip(),
        "wording_version": consent["wording_version"],
        "by_guardian": consent["by_guardian"],
        "guardian_name": consent["guardian_name"].strip(),
        "decided_at": consent["given_at"],
    }
    given, refused = ConsentRecord.Decision.GIVEN, ConsentRecord.Decision.REFUSED
    out = [services.ConsentInput(purpose=ConsentRecord.Purpose.SHARE_WITH_FOODBANK, decision=given, **common)]
    for purpose in (ConsentRecord.Purpose.REFERRAL, ConsentRecord.Purpose.PHONE_CONTACT):
        answer = consent.get(purpose)
        if answer is not None:
            out.append(
                services.ConsentInput(purpose=purpose, decision=given if answer else refused, **common)
            )
    return out


class WithdrawIn(serializers.Serializer):
    withdrawn_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="When the person withdrew; default now."
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate_withdrawn_at(self, value):
        if value and value > timezone.now() + timedelta(minutes=5):
            raise serializers.ValidationError(_("A withdrawal cannot be in the future."))
        return value


class ConsentRecordIn(_ConsentHow):
    """A new decision for a person: e.g. referral consent given later, or phone contact refused."""

    recipient = IdField()
    delivery_request = IdField(required=False, allow_null=True, default=None)
    purpose = serializers.ChoiceField(choices=ConsentRecord.Purpose.choices)
    decision = serializers.ChoiceField(choices=ConsentRecord.Decision.choices)
    basis = serializers.ChoiceField(choices=ConsentRecord.Basis.choices, default=ConsentRecord.Basis.CONSENT)
    statutory_basis = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when basis is statutory_exception: the provision relied on.",
    )
    decided_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        errors = {}
        errors.update(_how_errors(attrs))
        if attrs["basis"] == ConsentRecord.Basis.STATUTORY_EXCEPTION and not attrs["statutory_basis"].strip():
            errors["statutory_basis"] = [_("Name the statutory provision.")]
        if attrs["decided_at"] and attrs["decided_at"] > timezone.now() + timedelta(minutes=5):
            errors["decided_at"] = [_("A decision cannot be in the future.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


def _withdrawal(consent: ConsentRecord):
    try:
        return consent.withdrawal
    except ConsentRecord.withdrawal.RelatedObjectDoesNotExist:
        return None


class ConsentOut(serializers.ModelSerializer):
    withdrawn_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        model = ConsentRecord
        fields = [
            "id",
            "recipient",
            "purpose",
            "decision",
            "basis",
            "statutory_basis",
            "data_recipients",
            "data_categories",
            "method",
            "witness_name",
            "wording_version",
            "by_guardian",
            "guardian_name",
            "decided_at",
            "recorded_at",
            "recorded_by_organisation",
            "delivery_request",
            "withdrawn_at",
        ]

    def to_representation(self, c: ConsentRecord) -> dict:
        return render_consent(c)


def render_consent(c: ConsentRecord, tz: tzinfo | None = None) -> dict:
    """A consent record as ConsentOut shows it (its ``to_representation``; a delivery request's answer
    calls it directly, ``tz`` the current time zone)."""
    withdrawal = _withdrawal(c)
    return {
        "id": c.pk,
        "recipient": c.recipient_id,
        "purpose": c.purpose,
        "decision": c.decision,
        "basis": c.basis,
        "statutory_basis": c.statutory_basis,
        "data_recipients": list(c.data_recipients),
        "data_categories": list(c.data_categories),
        "method": c.method,
        "witness_name": c.witness_name,
        "wording_version": c.wording_version,
        "by_guardian": c.by_guardian,
        "guardian_name": c.guardian_name,
        "decided_at": _dt(c.decided_at, tz),
        "recorded_at": _dt(c.recorded_at, tz),
        "recorded_by_organisation": c.recorded_by_organisation_id,
        "delivery_request": c.delivery_request_id,
        "withdrawn_at": _dt(withdrawal.withdrawn_at, tz) if withdrawal else None,
    }
