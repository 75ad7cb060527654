"""Delivery requests: filing, triage decisions, and the request as the API shows it."""

from datetime import timedelta, tzinfo

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from foodbank.ids import IdField
from inventory import allergens

from .. import services
from ..corrections import REQUEST_FIELDS
from ..models import (
    COOKING_KEYS,
    DeliveryRequest,
    DeliveryRequestEvent,
    DiaperSize,
    ExtraItem,
    Referral,
    SituationCategory,
    TimeSlot,
)
from ..selectors import RequestDetail, allergen_packing
from ..validation import display_phone
from ._common import _date, _dt, _user_name
from .consents import ConsentIn, ConsentOut, render_consent
from .recipients import HouseholdIn, HouseholdOut, RecipientIn, RecipientOut

# How far ahead a delivery date may be asked for.
MAX_DAYS_AHEAD = 90


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


def allergens_field(**kwargs) -> serializers.ListField:
    """Allergen codes as a case worker ticks them: an unknown code is refused, naming it."""
    return serializers.ListField(
        child=serializers.ChoiceField(choices=allergens.CHOICES),
        max_length=len(allergens.CODES),
        help_text="Codes of the labelling standard's 8 mandatory and 20 recommended allergens "
        "(e.g. shrimp, egg); anything else goes in `allergies` (docs/traceability.md).",
        **kwargs,
    )


class DietaryIn(serializers.Serializer):
    allergies = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="Free text, for what the codes do not cover.",
    )
    allergens = allergens_field(required=False, default=list)
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
        return check_extra(attrs)


_DIAPER_SIZES = {value.upper(): value for value in DiaperSize.values}


def check_extra(attrs: dict) -> dict:
    """ExtraIn's checks across its fields (serializer and plain input path alike)."""
    if attrs["item"] == ExtraItem.DIAPERS:
        size = _DIAPER_SIZES.get(attrs["size"].strip().upper())
        if size is None:
            message = _("Give the diaper size: newborn, S, M, L, XL or XXL.")
            raise serializers.ValidationError({"size": [message]})
        attrs["size"] = size
    if attrs["item"] == ExtraItem.OTHER and not attrs["note"].strip():
        raise serializers.ValidationError({"note": [_("Say what is needed.")]})
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
        allergens=allergens.normalise(dietary.get("allergens") or ()),
        dietary_note=dietary.get("note", ""),
        extras=[dict(e) for e in data.get("extras", [])],
        delivery_date=data.get("delivery_date"),
        time_slot=data.get("time_slot", ""),
    )


class DecisionIn(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class DeclineIn(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="Sent to the case worker.")


class CancelIn(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


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
        return render_event(event)


def render_event(event: DeliveryRequestEvent, tz: tzinfo | None = None) -> dict:
    """An event as EventOut shows it (``tz``: the current time zone, when in hand)."""
    return {
        "at": _dt(event.at, tz),
        "by": _user_name(event.by),
        "from_status": event.from_status or None,
        "to_status": event.to_status,
        "note": event.note,
        "fields": list(event.fields or []),
    }


class SituationOut(serializers.Serializer):
    category = serializers.ChoiceField(choices=SituationCategory.choices)
    note = serializers.CharField()
    no_food_today = serializers.BooleanField()


class DietaryOut(serializers.Serializer):
    allergies = serializers.CharField()
    allergens = serializers.ListField(
        child=serializers.ChoiceField(choices=allergens.CHOICES),
        help_text="The allergens packing avoids, as codes of the labelling standard (e.g. shrimp, "
        "egg): those given as codes together with those read from the `allergies` text. Packing "
        "avoids lots that contain them (docs/traceability.md).",
    )
    note = serializers.CharField()


class AllergenPackingOut(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["alternative", "substitution", "unchecked"],
        help_text="`alternative`: an allergen-free alternative pack type was packed instead; "
        "`substitution`: only packs with the allergens were left, the packer replaces what contains "
        "them; `unchecked`: the pack's allergens were not recorded, the packer checks its labels.",
    )
    pack = serializers.CharField(help_text="The pack type asked for (its name).")
    alternative = serializers.CharField(help_text="The alternative packed instead (its name), or empty.")
    allergens = serializers.ListField(child=serializers.ChoiceField(choices=allergens.CHOICES))
    text = serializers.CharField(
        help_text="The same as a sentence, in the answer's language (Japanese by default)."
    )


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
    allergen_packing = AllergenPackingOut(
        many=True,
        help_text="What the dispatch batch did about the household's allergies (docs/traceability.md): "
        "an allergen-free alternative packed, or a substitution left to the packer. Empty otherwise.",
    )
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
        return render_request(detail)


def render_request(detail: RequestDetail) -> dict:
    """The request as DeliveryRequestOut shows it (its ``to_representation``): the API's hot answers
    (GET, filing, triage) call it directly, without instantiating serializers, and the current time
    zone is looked up once (docs/benchmarks.md). tests/referrals/test_plain_output.py checks its
    keys against the declared fields, which stay the schema's source."""
    r = detail.request
    p = r.recipient
    tz = timezone.get_current_timezone()
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
            "allergens": r.avoided_allergens,
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
        "allergen_packing": [note.as_shown() for note in allergen_packing(r)],
        "delivery_date": _date(r.delivery_date),
        "time_slot": r.time_slot,
        "urgency": r.urgency,
        "submitted_at": _dt(r.submitted_at, tz),
        "status_changed_at": _dt(r.status_changed_at, tz),
        "approved_at": _dt(r.approved_at, tz),
        "decline_reason": r.decline_reason,
        "cancel_reason": r.cancel_reason,
        "batch_ref": r.batch_ref,
        "tracking_number": r.tracking_number,
        "tracking_url": r.tracking_url,
        "shipped_at": _dt(r.shipped_at, tz),
        "delivered_at": _dt(r.delivered_at, tz),
        "events": [render_event(e, tz) for e in detail.events],
        "consents": [render_consent(c, tz) for c in detail.consents],
        "navi": _navi(r),
        "referrals": [
            {
                "id": ref.pk,
                "reference": ref.reference,
                "status": ref.status,
                "target_name": ref.target_label,
                "sent_at": _dt(ref.sent_at, tz),
                "closed_at": _dt(ref.closed_at, tz),
                "consent_withdrawn": ref.withdrawn,
            }
            for ref in detail.referrals
        ],
    }


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
