"""Forms of the coordinators' shipping pages: a pantry shipment, voiding a parcel."""

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from foodbank.validators import refuse_bidi_controls
from inventory.models import PackType

from . import selectors
from .models import Parcel

POSTAL_CODE = RegexValidator(r"^\d{3}-?\d{4}$", _("Seven digits, e.g. 060-0001."))
PHONE = RegexValidator(r"^[0-9０-９()（）\- ー－]{0,15}$", _("Digits and hyphens only."))


class PantryShipmentForm(forms.Form):
    partner = forms.ModelChoiceField(label=_("Partner group"), queryset=None, empty_label=None)
    pack_type = forms.ModelChoiceField(label=_("Pack type"), queryset=None, empty_label=None)
    quantity = forms.IntegerField(
        label=_("Sets"), min_value=1, max_value=1000, widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    contact_name = forms.CharField(label=_("Contact name"), max_length=64, validators=[refuse_bidi_controls])
    phone = forms.CharField(
        label=_("Phone"),
        max_length=15,
        required=False,
        validators=[PHONE],
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
    )
    postal_code = forms.CharField(
        label=_("Postal code"),
        max_length=8,
        validators=[POSTAL_CODE],
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    address = forms.CharField(label=_("Address"), max_length=200, validators=[refuse_bidi_controls])
    building = forms.CharField(
        label=_("Building"), max_length=200, required=False, validators=[refuse_bidi_controls]
    )
    note = forms.CharField(
        label=_("Packing note"),
        max_length=200,
        required=False,
        help_text=_("Printed on the packing slip, e.g. keep cool."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = selectors.pantry_partners(user)
        self.fields["pack_type"].queryset = PackType.objects.filter(
            food_bank_id__in=selectors.coordinated_food_bank_ids(user), active=True
        ).order_by("sort_order", "pk")

    def clean_postal_code(self) -> str:
        return self.cleaned_data["postal_code"].replace("-", "")

    def clean(self):
        data = super().clean()
        partner, pack_type = data.get("partner"), data.get("pack_type")
        if partner and pack_type and partner.food_bank_id != pack_type.food_bank_id:
            self.add_error("pack_type", _("Choose a pack type of the partner's food bank."))
        return data


class VoidForm(forms.Form):
    reference = forms.CharField(
        label=_("Parcel reference"),
        max_length=50,
        help_text=_("Scan the packing slip's QR code or type the reference."),
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=Parcel.VoidReason.choices,
        initial=Parcel.VoidReason.REBOOK,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Note (no personal data)"), max_length=200, required=False)
