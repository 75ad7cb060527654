"""Forms of the intake, donor and recall pages (docs/traceability.md)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from inventory import allergens
from inventory.lot_models import DateLabel, Donor, StorageClass
from inventory.models import DonationReceiptLine


class DonorForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Donor.Kind.choices)
    name = forms.CharField(
        label=_("Name"), max_length=200, required=False, help_text=_("Blank: an anonymous individual.")
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    agreement_on = forms.DateField(
        label=_("Agreement signed on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    resale_forbidden_accepted = forms.BooleanField(
        label=_("Accepted: resale forbidden (転売禁止)"), required=False
    )
    handling_terms_accepted = forms.BooleanField(label=_("Accepted: handling terms"), required=False)


class DonationForm(forms.Form):
    donor = forms.ModelChoiceField(label=_("Donor"), queryset=Donor.objects.none())
    site = forms.ModelChoiceField(label=_("Received at"), queryset=None)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, donors, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["donor"].queryset = donors
        self.fields["site"].queryset = sites
        if sites.count() == 1:
            self.fields["site"].initial = sites.first()


class InspectedLineForm(forms.Form):
    """One product as checked at the door. A blank block (no item) is skipped."""

    item = forms.ModelChoiceField(label=_("Item"), queryset=None, required=False)
    jan_code = forms.RegexField(
        label=_("JAN code"),
        regex=r"^(\d{8}|\d{13})$",
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "data-jan": ""}),
    )
    product_name = forms.CharField(label=_("Product"), max_length=200, required=False)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=1_000_000, required=False)
    weight_kg = forms.DecimalField(
        label=_("Weight (kg)"), min_value=0, max_digits=10, decimal_places=3, required=False
    )
    date_label = forms.ChoiceField(
        label=_("Date label"),
        choices=DateLabel.choices,
        initial=DateLabel.BEST_BEFORE,
        widget=forms.RadioSelect,
    )
    best_before = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    storage = forms.ChoiceField(
        label=_("Storage"),
        choices=StorageClass.choices,
        initial=StorageClass.AMBIENT,
        widget=forms.RadioSelect,
    )
    allergens_mandatory = forms.MultipleChoiceField(
        label=_("Allergens (mandatory labelling)"),
        choices=[(c, ja) for c, (ja, _label) in allergens.MANDATORY.items()],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    allergens_recommended = forms.MultipleChoiceField(
        label=_("Allergens (recommended labelling)"),
        choices=[(c, ja) for c, (ja, _label) in allergens.RECOMMENDED.items()],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    condition = forms.ChoiceField(
        label=_("Package condition"),
        choices=DonationReceiptLine.Condition.choices,
        initial=DonationReceiptLine.Condition.GOOD,
        widget=forms.RadioSelect,
    )
    accepted = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Accept")), ("0", _("Reject"))],
        coerce=lambda v: v == "1",
        initial="1",
        widget=forms.RadioSelect,
    )
    reject_reason = forms.ChoiceField(
        label=_("Reason for rejection"),
        choices=[("", "—"), *DonationReceiptLine.RejectReason.choices],
        required=False,
    )

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items

    def clean(self):
        data = super().clean()
        if data.get("item") and not data.get("quantity"):
            self.add_error("quantity", _("How many?"))
        return data


class TraceForm(forms.Form):
    lot = forms.CharField(label=_("Lot (L-000123)"), required=False, max_length=20)
    item = forms.ModelChoiceField(label=_("or a product"), queryset=None, required=False)
    date_from = forms.DateField(
        label=_("dates from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("dates to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items

    def clean_lot(self):
        raw = self.cleaned_data["lot"].strip().upper().removeprefix("L-").removeprefix("L")
        if not raw:
            return None
        if not raw.isdigit():
            raise forms.ValidationError(_("A lot looks like L-000123."))
        return int(raw)

    def clean(self):
        data = super().clean()
        if not data.get("lot") and not data.get("item"):
            raise forms.ValidationError(_("Give a lot, or a product with a range of dates."))
        return data


class QuarantineForm(forms.Form):
    reason = forms.CharField(label=_("Reason (maker's recall notice, incident …)"), max_length=300)
