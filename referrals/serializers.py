"""Input and output shapes of the referrals API (docs/spec.md §4.1). Inputs validate and are turned into
the services' typed inputs by ``*_inputs()``; outputs only read."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from foodbank.ids import IdField
from foodbank.validators import refuse_bidi_controls
from inventory import allergens

from . import selectors, services
from .corrections import REQUEST_FIELDS
from .models import (
    COOKING_KEYS,
    ConsentRecord,
    DeliveryRequest,
    DeliveryRequestEvent,
    DiaperSize,
    Enrolment,
    ExtraItem,
    HouseholdType,
    Referral,
    SituationCategory,
    TimeSlot,
)
from .selectors import RequestDetail
from .validation import FieldErrors, display_phone, normalise_phone, resolve_address, street_part

# How far ahead a delivery date may be asked for.
MAX_DAYS_AHEAD = 90

# --- Inputs ---------------------------------------------------------------------------------------


class AddressFieldsIn(serializers.Serializer):
    # Shared by the person filed (RecipientIn) and the corrected address (AddressCorrectionIn); no
    # docstring, which drf-spectacular would give both as their description.

    postal_code = serializers.CharField(max_length=16, help_text="Seven digits, e.g. 060-0001 or 0600001.")
    prefecture = serializers.CharField(
        max_length=8, required=False, allow_blank=True, default="", help_text="Optional; must match the code."
    )
    municipality = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text="Optional; must match the code.",
    )
    address = serializers.CharField(
        max_length=200,
        help_text="Street address (town, block, number); prefecture and city may be omitted.",
        validators=[refuse_bidi_controls],
    )
    building = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", validators=[refuse_bidi_controls]
    )

    @staticmethod
    def resolve_area(attrs):
        """The area of the postal code (raises FieldErrors when the code and the names disagree)."""
        return resolve_address(
            postal_code=attrs["postal_code"],
            prefecture=attrs.get("prefecture", ""),
            municipality=attrs.get("municipality", ""),
        )


class RecipientIn(AddressFieldsIn):
    name = serializers.CharField(
        max_length=64,
        help_text="Full name as printed on the courier label.",
        validators=[refuse_bidi_controls],
    )
    name_kana = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default="", validators=[refuse_bidi_controls]
    )
    phone = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "Japanese number, e.g. 090-1234-5678. Blank for a person without a phone: the label then "
            "carries the filing agency's number (docs/shipping-b2.md)."
        ),
    )

    def validate(self, attrs):
        errors: dict[str, list[str]] = {}
        try:
            # A person without a phone may be served: the label rule is in docs/shipping-b2.md.
            attrs["phone"] = normalise_phone(attrs["phone"]) if attrs.get("phone", "").strip() else ""
        except FieldErrors as exc:
            errors.update(exc.errors)
        try:
            attrs["area"] = self.resolve_area(attrs)
        except FieldErrors as exc:
            errors.update(exc.errors)
        if errors:
            raise serializers.ValidationError(errors)
        attrs["address"] = street_part(attrs["address"], attrs["area"])
        if not attrs["address"]:
            raise serializers.ValidationError({"address": [_("Enter the street address.")]})
        return attrs


class HouseholdIn(serializers.Serializer):
    type = serializers.ChoiceField(choices=HouseholdType.choices)
    adults = serializers.IntegerField(min_value=0, max_value=20, default=1, help_text="Aged 18–64.")
    children = serializers.IntegerField(min_value=0, max_value=20, default=0, help_text="Aged 3–17.")
    children_ages = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=17), required=False, default=list, max_length=20
    )
    infants = serializers.IntegerField(min_value=0, max_value=10, default=0, help_text="Under 3.")
    elderly = serializers.IntegerField(min_value=0, max_value=20, default=0, help_text="Aged 65 or over.")

    def validate(self, attrs):
        if attrs["adults"] + attrs["children"] + attrs["infants"] + attrs["elderly"] == 0:
            raise serializers.ValidationError({"adults": [_("A household has at least one person.")]})
        if attrs["children_ages"] and len(attrs["children_ages"]) != attrs["children"]:
            raise serializers.ValidationError(
                {"children_ages": [_("Give one age per child (or leave the ages out).")]}
            )
        return attrs


class SituationIn(serializers.Serializer):
    category = serializers.ChoiceField(choices=SituationCategory.choices)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    no_food_today = serializers.BooleanField(
        required=False, default=False, help_text="The person has no food left today (urgent)."
    )


class CookingIn(serializers.Serializer):
    """What the person can cook with. All false means no cooking is possible: no-cook food."""

    gas = serializers.BooleanField(required=False, default=False)
    electricity = serializers.BooleanField(required=False, default=False)
    water = serializers.BooleanField(required=False, default=False)
    microwave = serializers.BooleanField(required=False, default=False)
    kettle = serializers.BooleanField(required=False, default=False)
    portable_stove = serializers.BooleanField(required=False, default=False)


class DietaryIn(serializers.Serializer):
    allergies = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    note = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, default="", help_text='e.g. "more protein".'
    )


class ExtraIn(serializers.Serializer):
    """An extra item, given only if in stock."""

    item = serializers.ChoiceField(choices=ExtraItem.choices)
    size = serializers.CharField(
        max_length=16,
        required=False,
        allow_blank=True,
        default="",
        help_text="Diapers: newborn, S, M, L, XL, XXL.",
    )
    quantity = serializers.IntegerField(min_value=1, max_value=20, default=1)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs["item"] == ExtraItem.DIAPERS:
            sizes = {value.upper(): value for value in DiaperSize.values}
            size = sizes.get(attrs["size"].strip().upper())
            if size is None:
                raise serializers.ValidationError(
                    {"size": [_("Give the diaper size: newborn, S, M, L, XL or XXL.")]}
                )
            attrs["size"] = size
        if attrs["item"] == ExtraItem.OTHER and not attrs["note"].strip():
            raise serializers.ValidationError({"note": [_("Say what is needed.")]})
        return attrs


class ConsentIn(serializers.Serializer):
    share_with_foodbank = serializers.BooleanField(
        help_text="The person agreed that their details go to the food bank (required to file)."
    )
    referral = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Referral to consultation services."
    )
    phone_contact = serializers.BooleanField(required=False, allow_null=True, default=None)
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
    given_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        errors = {}
        if attrs["share_with_foodbank"] is not True:
            errors["share_with_foodbank"] = [
                _("A request can only be filed with the person's consent to share their details.")
            ]
        if attrs["method"] == ConsentRecord.Method.VERBAL and not attrs["witness_name"].strip():
            errors["witness_name"] = [_("Verbal consent needs the name of a witness.")]
        if attrs["by_guardian"] and not attrs["guardian_name"].strip():
            errors["guardian_name"] = [_("Name the guardian who gave consent.")]
        if attrs["given_at"] and attrs["given_at"] > timezone.now() + timedelta(minutes=5):
            errors["given_at"] = [_("Consent cannot be given in the future.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


def _validate_delivery_date(value):
    if value is None:
        return value
    today = timezone.localdate()
    if value < today:
        raise serializers.ValidationError(_("The delivery date is in the past."))
    if value > today + timedelta(days=MAX_DAYS_AHEAD):
        raise serializers.ValidationError(_("The delivery date is too far ahead."))
    return value


class _NeedsIn(serializers.Serializer):
    days_needed = serializers.IntegerField(min_value=1, max_value=31, default=7)
    cooking = CookingIn(required=False)
    dietary = DietaryIn(required=False)
    extras = serializers.ListField(child=ExtraIn(), required=False, default=list, max_length=10)
    delivery_date = serializers.DateField(
        required=False, allow_null=True, default=None, validators=[_validate_delivery_date]
    )
    time_slot = serializers.ChoiceField(
        choices=TimeSlot.choices, required=False, allow_blank=True, default=""
    )


class DeliveryRequestIn(_NeedsIn):
    recipient = RecipientIn()
    household = HouseholdIn()
    situation = SituationIn()
    consent = ConsentIn()
    client_reference = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text="Your agency's own case number.",
    )
    agency = IdField(
        required=False, allow_null=True, default=None, help_text="Only if you work for several agencies."
    )


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


# --- Correcting a filed request (docs/referrals.md) ------------------------------------------------


class AddressCorrectionIn(AddressFieldsIn):
    """The whole address again: the postal code decides prefecture and municipality."""

    def validate(self, attrs):
        try:
            area = self.resolve_area(attrs)
        except FieldErrors as exc:
            raise serializers.ValidationError(exc.errors) from None
        street = street_part(attrs["address"], area)
        if not street:
            raise serializers.ValidationError({"address": [_("Enter the street address.")]})
        return {"postal_code": area.postal_code, "address": street, "building": attrs["building"].strip()}


class CookingCorrectionIn(serializers.Serializer):
    """Only the kinds given change (no defaults: an omitted one stays as filed)."""

    gas = serializers.BooleanField(required=False)
    electricity = serializers.BooleanField(required=False)
    water = serializers.BooleanField(required=False)
    microwave = serializers.BooleanField(required=False)
    kettle = serializers.BooleanField(required=False)
    portable_stove = serializers.BooleanField(required=False)


class DietaryCorrectionIn(serializers.Serializer):
    allergies = serializers.CharField(max_length=500, required=False, allow_blank=True)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True)


class DeliveryRequestCorrectionIn(serializers.Serializer):
    """A correction of a filed request: only the fields given change, each replaced whole (an
    ``address`` is the whole address, ``extras`` the whole list). At least one field."""

    phone = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="Japanese number; blank: the person has no phone (the label carries the agency's).",
    )
    address = AddressCorrectionIn(required=False)
    days_needed = serializers.IntegerField(min_value=1, max_value=31, required=False)
    cooking = CookingCorrectionIn(required=False)
    dietary = DietaryCorrectionIn(required=False)
    extras = serializers.ListField(child=ExtraIn(), required=False, max_length=10)
    delivery_date = serializers.DateField(
        required=False,
        allow_null=True,
        validators=[_validate_delivery_date],
        help_text="Null: no preference.",
    )
    time_slot = serializers.ChoiceField(choices=TimeSlot.choices, required=False, allow_blank=True)

    def validate(self, attrs):
        # Anything else of the request (the name, the household, the situation) is not corrected
        # here: say so rather than ignore it.
        other = sorted(set(getattr(self, "initial_data", {}) or {}) - set(self.fields))
        if other:
            raise serializers.ValidationError({name: [_("This cannot be corrected here.")] for name in other})
        if not any(name in attrs for name in self.fields):
            raise serializers.ValidationError(
                {"non_field_errors": [_("Give at least one field to correct.")]}
            )
        if "phone" in attrs:
            try:
                attrs["phone"] = normalise_phone(attrs["phone"]) if attrs["phone"].strip() else ""
            except FieldErrors as exc:
                raise serializers.ValidationError(exc.errors) from None
        return attrs


def correction_changes(data: dict) -> dict:
    """A validated ``DeliveryRequestCorrectionIn`` as ``corrections.correct_request``'s changes."""
    from .corrections import AddressInput

    changes: dict = {}
    for name in ("phone", "days_needed", "delivery_date", "time_slot"):
        if name in data:
            changes[name] = data[name]
    if "address" in data:
        changes["address"] = AddressInput(**data["address"])
    if data.get("cooking"):
        changes["cooking"] = dict(data["cooking"])
    dietary = data.get("dietary") or {}
    if "allergies" in dietary:
        changes["allergies"] = dietary["allergies"].strip()
    if "note" in dietary:
        changes["dietary_note"] = dietary["note"].strip()
    if "extras" in data:
        changes["extras"] = [dict(e) for e in data["extras"]]
    return changes


def needs_input(data: dict) -> services.NeedsInput:
    situation = data.get("situation") or {"category": SituationCategory.OTHER}
    dietary = data.get("dietary") or {}
    return services.NeedsInput(
        situation_category=situation["category"],
        situation_note=situation.get("note", ""),
        no_food_today=situation.get("no_food_today", False),
        days_needed=data["days_needed"],
        cooking={key: bool((data.get("cooking") or {}).get(key, False)) for key in COOKING_KEYS},
        allergies=dietary.get("allergies", ""),
        dietary_note=dietary.get("note", ""),
        extras=[dict(e) for e in data.get("extras", [])],
        delivery_date=data.get("delivery_date"),
        time_slot=data.get("time_slot", ""),
    )


def recipient_input(data: dict) -> services.RecipientInput:
    area = data["area"]
    return services.RecipientInput(
        name=data["name"].strip(),
        name_kana=data.get("name_kana", "").strip(),
        phone=data["phone"],
        postal_code=area.postal_code,
        prefecture=area.prefecture,
        municipality=area.municipality,
        municipality_code=area.municipality_code,
        regional_bureau=area.regional_bureau,
        address=data["address"],
        building=data.get("building", "").strip(),
    )


def household_input(data: dict) -> services.HouseholdInput:
    return services.HouseholdInput(
        type=data["type"],
        adults=data["adults"],
        children=data["children"],
        children_ages=list(data.get("children_ages") or []),
        infants=data["infants"],
        elderly=data["elderly"],
    )


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


class DecisionIn(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class DeclineIn(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="Sent to the case worker.")


class CancelIn(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class WithdrawIn(serializers.Serializer):
    withdrawn_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="When the person withdrew; default now."
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate_withdrawn_at(self, value):
        if value and value > timezone.now() + timedelta(minutes=5):
            raise serializers.ValidationError(_("A withdrawal cannot be in the future."))
        return value


class ConsentRecordIn(serializers.Serializer):
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
    decided_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        errors = {}
        if attrs["method"] == ConsentRecord.Method.VERBAL and not attrs["witness_name"].strip():
            errors["witness_name"] = [_("Verbal consent needs the name of a witness.")]
        if attrs["by_guardian"] and not attrs["guardian_name"].strip():
            errors["guardian_name"] = [_("Name the guardian who gave consent.")]
        if attrs["basis"] == ConsentRecord.Basis.STATUTORY_EXCEPTION and not attrs["statutory_basis"].strip():
            errors["statutory_basis"] = [_("Name the statutory provision.")]
        if attrs["decided_at"] and attrs["decided_at"] > timezone.now() + timedelta(minutes=5):
            errors["decided_at"] = [_("A decision cannot be in the future.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class EnrolmentIn(serializers.Serializer):
    delivery_request = IdField(help_text="The request whose household and needs to enrol.")
    starts_on = serializers.DateField(help_text="Any day of the first month.")


class EndEnrolmentIn(serializers.Serializer):
    last_month = serializers.DateField(help_text="Any day of the last month with a parcel.")


# --- Outputs --------------------------------------------------------------------------------------
#
# The declared fields document the answers in the OpenAPI schema; ``to_representation`` builds the
# dict directly, because building DRF fields for every object costs more than the rest of the
# request (docs/spec.md §7: p99 under 50 ms). tests/referrals/test_api_read.py checks that both agree.

_DATETIME = serializers.DateTimeField()


def _dt(value) -> str | None:
    return _DATETIME.to_representation(value) if value else None


def _date(value) -> str | None:
    return value.isoformat() if value else None


def _user_name(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


class EventOut(serializers.Serializer):
    at = serializers.DateTimeField()
    by = serializers.CharField(allow_null=True)
    from_status = serializers.CharField(allow_null=True, help_text="Null for the first event.")
    # Plain text in the schema: the codes are those of the request's `status`.
    to_status = serializers.CharField(help_text="A status code, as in the request's `status`.")
    note = serializers.CharField()
    fields = serializers.ListField(
        child=serializers.ChoiceField(choices=[(f, f) for f in REQUEST_FIELDS]),
        help_text="A correction (the status stays): the fields corrected, never their values. "
        "Empty for a status change.",
    )

    def to_representation(self, event: DeliveryRequestEvent) -> dict:
        return {
            "at": _dt(event.at),
            "by": _user_name(event.by),
            "from_status": event.from_status or None,
            "to_status": event.to_status,
            "note": event.note,
            "fields": list(event.fields or []),
        }


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
            "decided_at": _dt(c.decided_at),
            "recorded_at": _dt(c.recorded_at),
            "recorded_by_organisation": c.recorded_by_organisation_id,
            "delivery_request": c.delivery_request_id,
            "withdrawn_at": _dt(withdrawal.withdrawn_at) if withdrawal else None,
        }


class RecipientOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    name_kana = serializers.CharField()
    phone = serializers.CharField(help_text="As people write it, e.g. 090-1234-5678.")
    postal_code = serializers.CharField(help_text="Postal code as text, e.g. 047-0024.")
    prefecture = serializers.CharField()
    municipality = serializers.CharField()
    address = serializers.CharField()
    building = serializers.CharField()


class HouseholdOut(serializers.Serializer):
    type = serializers.ChoiceField(choices=HouseholdType.choices)
    adults = serializers.IntegerField()
    children = serializers.IntegerField()
    children_ages = serializers.ListField(child=serializers.IntegerField())
    infants = serializers.IntegerField()
    elderly = serializers.IntegerField()


class SituationOut(serializers.Serializer):
    category = serializers.ChoiceField(choices=SituationCategory.choices)
    note = serializers.CharField()
    no_food_today = serializers.BooleanField()


class DietaryOut(serializers.Serializer):
    allergies = serializers.CharField()
    allergens = serializers.ListField(
        child=serializers.CharField(),
        help_text="The allergies as codes of the labelling standard (e.g. shrimp, egg), read from the "
        "text; packing avoids lots that contain them (docs/traceability.md).",
    )
    note = serializers.CharField()


class ExtraOut(serializers.Serializer):
    item = serializers.ChoiceField(choices=ExtraItem.choices)
    size = serializers.CharField()
    quantity = serializers.IntegerField()
    note = serializers.CharField()
    if_in_stock = serializers.BooleanField(help_text="Always true: extras are given only if in stock.")


class NaviAnswersOut(serializers.Serializer):
    application_id = serializers.CharField()
    lost_income = serializers.BooleanField()
    lost_job = serializers.BooleanField()
    has_debts = serializers.BooleanField()
    debts_note = serializers.CharField()
    first_time_at_food_bank = serializers.BooleanField(allow_null=True)
    has_someone_to_consult = serializers.BooleanField(allow_null=True)
    wants_referral = serializers.BooleanField()


class DeliveryRequestSummaryOut(serializers.Serializer):
    """A request in a list: enough to follow it, not the narrative."""

    id = serializers.IntegerField()
    reference = serializers.CharField(help_text="DR- and six digits.")
    source = serializers.ChoiceField(choices=DeliveryRequest.Source.choices)
    status = serializers.ChoiceField(choices=DeliveryRequest.Status.choices)
    agency = serializers.IntegerField(allow_null=True)
    agency_name = serializers.CharField(allow_null=True)
    client_reference = serializers.CharField()
    recipient_name = serializers.CharField()
    municipality = serializers.CharField()
    urgency = serializers.ListField(
        child=serializers.ChoiceField(choices=["no_food_today", "infants", "no_cook"]),
        help_text="Triage flags, most urgent first.",
    )
    delivery_date = serializers.DateField(allow_null=True)
    time_slot = serializers.ChoiceField(choices=TimeSlot.choices)
    submitted_at = serializers.DateTimeField()
    approved_at = serializers.DateTimeField(allow_null=True)
    tracking_number = serializers.CharField()
    tracking_url = serializers.CharField()

    def to_representation(self, r: DeliveryRequest) -> dict:
        return {
            "id": r.pk,
            "reference": r.reference,
            "source": r.source,
            "status": r.status,
            "agency": r.agency_id,
            "agency_name": r.agency.name if r.agency_id else None,
            "client_reference": r.client_reference,
            "recipient_name": r.recipient.name,
            "municipality": r.recipient.municipality,
            "urgency": r.urgency,
            "delivery_date": _date(r.delivery_date),
            "time_slot": r.time_slot,
            "submitted_at": _dt(r.submitted_at),
            "approved_at": _dt(r.approved_at),
            "tracking_number": r.tracking_number,
            "tracking_url": r.tracking_url,
        }


class RequestReferralOut(serializers.Serializer):
    """A referral made from the request, as its case worker sees it: that it was made and its
    status; never the target's notes or outcome."""

    id = serializers.IntegerField()
    reference = serializers.CharField(help_text="RF- and six digits.")
    status = serializers.ChoiceField(choices=Referral.Status.choices)
    target_name = serializers.CharField(help_text="The consultation window or agency.")
    sent_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    consent_withdrawn = serializers.BooleanField()


class DeliveryRequestOut(serializers.Serializer):
    """A request with everything its agency and the coordinators may see, and its history.
    Renders a ``selectors.RequestDetail`` (request, events, consents) without further queries."""

    id = serializers.IntegerField()
    reference = serializers.CharField(help_text="DR- and six digits.")
    source = serializers.ChoiceField(choices=DeliveryRequest.Source.choices)
    status = serializers.ChoiceField(choices=DeliveryRequest.Status.choices)
    agency = serializers.IntegerField(allow_null=True)
    agency_name = serializers.CharField(allow_null=True)
    filed_by = serializers.CharField(allow_null=True)
    client_reference = serializers.CharField()
    recipient = RecipientOut()
    household = HouseholdOut()
    situation = SituationOut()
    days_needed = serializers.IntegerField()
    cooking = CookingIn()
    no_cook = serializers.BooleanField(help_text="No cooking equipment at all: no-cook food.")
    dietary = DietaryOut()
    extras = ExtraOut(many=True)
    delivery_date = serializers.DateField(allow_null=True)
    time_slot = serializers.ChoiceField(choices=TimeSlot.choices)
    urgency = serializers.ListField(
        child=serializers.ChoiceField(choices=["no_food_today", "infants", "no_cook"]),
        help_text="Triage flags, most urgent first.",
    )
    submitted_at = serializers.DateTimeField()
    status_changed_at = serializers.DateTimeField()
    approved_at = serializers.DateTimeField(allow_null=True)
    decline_reason = serializers.CharField()
    cancel_reason = serializers.CharField()
    batch_ref = serializers.CharField(help_text="The dispatch batch, once scheduled.")
    tracking_number = serializers.CharField()
    tracking_url = serializers.CharField()
    shipped_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    events = EventOut(many=True)
    consents = ConsentOut(many=True)
    navi = NaviAnswersOut(allow_null=True, help_text="The Navi's answers, for self-referrals.")
    referrals = RequestReferralOut(
        many=True, help_text="Referrals to consultation services made for the person (status only)."
    )

    def to_representation(self, detail: RequestDetail) -> dict:
        r = detail.request
        p = r.recipient
        event_out, consent_out = EventOut(), ConsentOut()
        return {
            "id": r.pk,
            "reference": r.reference,
            "source": r.source,
            "status": r.status,
            "agency": r.agency_id,
            "agency_name": r.agency.name if r.agency_id else None,
            "filed_by": _user_name(r.filed_by),
            "client_reference": r.client_reference,
            "recipient": {
                "id": p.pk,
                "name": p.name,
                "name_kana": p.name_kana,
                "phone": display_phone(p.phone),
                "postal_code": p.postal_code_display,
                "prefecture": p.prefecture,
                "municipality": p.municipality,
                "address": p.address,
                "building": p.building,
            },
            "household": {
                "type": p.household_type,
                "adults": p.adults,
                "children": p.children,
                "children_ages": list(p.children_ages or []),
                "infants": p.infants,
                "elderly": p.elderly,
            },
            "situation": {
                "category": r.situation_category,
                "note": r.situation_note,
                "no_food_today": r.no_food_today,
            },
            "days_needed": r.days_needed,
            "cooking": r.cooking,
            "no_cook": r.no_cook,
            "dietary": {
                "allergies": r.allergies,
                "allergens": allergens.from_text(r.allergies or ""),
                "note": r.dietary_note,
            },
            "extras": [
                {
                    "item": e["item"],
                    "size": e.get("size", ""),
                    "quantity": e.get("quantity", 1),
                    "note": e.get("note", ""),
                    "if_in_stock": True,
                }
                for e in r.extras
            ],
            "delivery_date": _date(r.delivery_date),
            "time_slot": r.time_slot,
            "urgency": r.urgency,
            "submitted_at": _dt(r.submitted_at),
            "status_changed_at": _dt(r.status_changed_at),
            "approved_at": _dt(r.approved_at),
            "decline_reason": r.decline_reason,
            "cancel_reason": r.cancel_reason,
            "batch_ref": r.batch_ref,
            "tracking_number": r.tracking_number,
            "tracking_url": r.tracking_url,
            "shipped_at": _dt(r.shipped_at),
            "delivered_at": _dt(r.delivered_at),
            "events": [event_out.to_representation(e) for e in detail.events],
            "consents": [consent_out.to_representation(c) for c in detail.consents],
            "navi": self._navi(r),
            "referrals": [
                {
                    "id": ref.pk,
                    "reference": ref.reference,
                    "status": ref.status,
                    "target_name": ref.target_label,
                    "sent_at": _dt(ref.sent_at),
                    "closed_at": _dt(ref.closed_at),
                    "consent_withdrawn": ref.withdrawn,
                }
                for ref in detail.referrals
            ],
        }

    @staticmethod
    def _navi(r: DeliveryRequest) -> dict | None:
        if r.source != DeliveryRequest.Source.NAVI:
            return None
        try:
            navi = r.navi_application
        except DeliveryRequest.navi_application.RelatedObjectDoesNotExist:
            return None
        return {
            "application_id": navi.application_id,
            "lost_income": navi.lost_income,
            "lost_job": navi.lost_job,
            "has_debts": navi.has_debts,
            "debts_note": navi.debts_note,
            "first_time_at_food_bank": navi.first_time_at_food_bank,
            "has_someone_to_consult": navi.has_someone_to_consult,
            "wants_referral": navi.wants_referral,
        }


class EnrolmentOut(serializers.ModelSerializer):
    class Meta:
        model = Enrolment
        fields = ["id", "recipient", "agency", "template", "starts_on", "ends_on", "active", "created_at"]


# --- Referrals back to consultation services ------------------------------------------------------


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


# --- Feedback and the contact behind a window handout ---------------------------------------------


class FeedbackIn(serializers.Serializer):
    message = serializers.CharField(max_length=4000)
    may_be_published = serializers.BooleanField(
        help_text="The person said it may be published (exports, reports). Private otherwise: required, "
        "so that nobody publishes by default."
    )
    received_on = serializers.DateField(required=False, help_text="Default: today.")
    recipient = IdField(required=False, allow_null=True, default=None)
    food_bank = IdField(
        required=False, allow_null=True, default=None, help_text="Only for coordinators of several."
    )


class FeedbackOut(serializers.Serializer):
    id = serializers.IntegerField()
    message = serializers.CharField()
    may_be_published = serializers.BooleanField()
    received_on = serializers.DateField()
    recipient = serializers.IntegerField(allow_null=True, source="recipient_id")
    recorded_at = serializers.DateTimeField()


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
