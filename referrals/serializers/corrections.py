"""Corrections of a filed request (docs/referrals.md)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from inventory import allergens

from ..corrections import AddressInput
from ..models import TimeSlot
from ..validation import FieldErrors, normalise_phone, street_part
from .delivery_requests import ExtraIn, _validate_delivery_date, allergens_field
from .recipients import AddressFieldsIn


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
    allergens = allergens_field(required=False)
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
    if "allergens" in dietary:
        changes["allergens"] = allergens.normalise(dietary["allergens"])
    if "note" in dietary:
        changes["dietary_note"] = dietary["note"].strip()
    if "extras" in data:
        changes["extras"] = [dict(e) for e in data["extras"]]
    return changes
