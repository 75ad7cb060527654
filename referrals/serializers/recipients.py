"""Recipients: the person and household filed, in and out."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from foodbank.validators import refuse_bidi_controls

from .. import services
from ..models import HouseholdType
from ..validation import FieldErrors, normalise_phone, resolve_address, street_part


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
        return check_recipient(attrs)


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
        return check_household(attrs)


def check_recipient(attrs: dict) -> dict:
    """RecipientIn's checks across its fields (the phone, the address against the postal code), for
    the serializer and the plain input path alike (``plain_delivery_request_input``)."""
    errors: dict[str, list[str]] = {}
    try:
        # A person without a phone may be served: the label rule is in docs/shipping-b2.md.
        attrs["phone"] = normalise_phone(attrs["phone"]) if attrs.get("phone", "").strip() else ""
    except FieldErrors as exc:
        errors.update(exc.errors)
    try:
        attrs["area"] = AddressFieldsIn.resolve_area(attrs)
    except FieldErrors as exc:
        errors.update(exc.errors)
    if errors:
        raise serializers.ValidationError(errors)
    attrs["address"] = street_part(attrs["address"], attrs["area"])
    if not attrs["address"]:
        raise serializers.ValidationError({"address": [_("Enter the street address.")]})
    return attrs


def check_household(attrs: dict) -> dict:
    """HouseholdIn's checks across its fields (serializer and plain input path alike)."""
    if attrs["adults"] + attrs["children"] + attrs["infants"] + attrs["elderly"] == 0:
        raise serializers.ValidationError({"adults": [_("A household has at least one person.")]})
    if attrs["children_ages"] and len(attrs["children_ages"]) != attrs["children"]:
        message = _("Give one age per child (or leave the ages out).")
        raise serializers.ValidationError({"children_ages": [message]})
    return attrs


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
