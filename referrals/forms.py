"""The case worker's web form for a delivery request.

The form only collects flat values and turns them into the API's body; the API serializer
(``DeliveryRequestIn``) does all the checking, and its errors are put back on the form field the
person typed the value in. One set of rules for the API and the page.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from foodbank.models import HouseholdType
from foodbank.validators import refuse_bidi_controls
from inventory import allergens as allergen_codes

from .models import DiaperSize, SituationCategory, TimeSlot

COOKING_CHOICES = [
    ("gas", _("Gas")),
    ("electricity", _("Electricity")),
    ("water", _("Running water")),
    ("microwave", _("Microwave")),
    ("kettle", _("Electric kettle")),
    ("portable_stove", _("Portable gas stove")),
]
# The labelling standard's allergens by their Japanese names: the 8 mandatory, then the 20
# recommended (inventory.allergens keeps that order).
ALLERGEN_CHOICES = [(code, ja) for code, (ja, _label) in allergen_codes.ALL.items()]
YES_NO_UNASKED = [("", _("Not asked")), ("yes", _("Yes")), ("no", _("No"))]

# API error path (joined with ".") → form field. Extras are numbered in the order built below.
FIELD_FOR_PATH = {
    "recipient.name": "name",
    "recipient.name_kana": "name_kana",
    "recipient.phone": "phone",
    "recipient.postal_code": "postal_code",
    "recipient.prefecture": "postal_code",
    "recipient.municipality": "postal_code",
    "recipient.address": "address",
    "recipient.building": "building",
    "household.type": "household_type",
    "household.adults": "adults",
    "household.children": "children",
    "household.children_ages": "children_ages",
    "household.infants": "infants",
    "household.elderly": "elderly",
    "situation.category": "situation_category",
    "situation.note": "situation_note",
    "situation.no_food_today": "no_food_today",
    "days_needed": "days_needed",
    "dietary.allergies": "allergies",
    "dietary.allergens": "allergens",
    "dietary.note": "dietary_note",
    "delivery_date": "delivery_date",
    "time_slot": "time_slot",
    "consent.share_with_foodbank": "consent_share",
    "consent.referral": "consent_referral",
    "consent.phone_contact": "consent_phone",
    "consent.method": "consent_method",
    "consent.witness_name": "witness_name",
    "consent.guardian_name": "guardian_name",
    "client_reference": "client_reference",
    "agency": "agency",
}


class DeliveryRequestForm(forms.Form):
    # The person
    name = forms.CharField(
        label=_("Name"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        validators=[refuse_bidi_controls],
    )
    name_kana = forms.CharField(
        label=_("Name in kana"), max_length=64, required=False, validators=[refuse_bidi_controls]
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
        help_text=_("e.g. 090-1234-5678"),
    )
    postal_code = forms.CharField(
        label=_("Postal code"),
        max_length=16,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("Seven digits, e.g. 047-0024. Prefecture and city are filled in from it."),
    )
    address = forms.CharField(
        label=_("Street address"),
        max_length=200,
        help_text=_("Town, block and number, e.g. 花園2丁目6-7"),
        validators=[refuse_bidi_controls],
    )
    building = forms.CharField(
        label=_("Building and room"), max_length=200, required=False, validators=[refuse_bidi_controls]
    )
    # The household
    household_type = forms.ChoiceField(label=_("Household type"), choices=HouseholdType.choices)
    adults = forms.IntegerField(
        label=_("Adults (18–64)"), initial=1, widget=forms.NumberInput(attrs={"min": 0})
    )
    children = forms.IntegerField(
        label=_("Children (3–17)"), initial=0, widget=forms.NumberInput(attrs={"min": 0})
    )
    children_ages = forms.CharField(
        label=_("Children's ages"), required=False, help_text=_("Separated by commas, e.g. 4, 9")
    )
    infants = forms.IntegerField(
        label=_("Infants (under 3)"), initial=0, widget=forms.NumberInput(attrs={"min": 0})
    )
    elderly = forms.IntegerField(
        label=_("Elderly (65+)"), initial=0, widget=forms.NumberInput(attrs={"min": 0})
    )
    # The situation
    situation_category = forms.ChoiceField(label=_("Situation"), choices=SituationCategory.choices)
    situation_note = forms.CharField(
        label=_("Situation in a few words"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Only the food bank's coordinators see this; volunteers never do."),
    )
    no_food_today = forms.BooleanField(label=_("No food left today (urgent)"), required=False)
    # The parcel
    days_needed = forms.IntegerField(
        label=_("Days of food"), initial=7, widget=forms.NumberInput(attrs={"min": 1})
    )
    cooking = forms.MultipleChoiceField(
        label=_("What can the person cook with?"),
        choices=COOKING_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked if nothing works: the parcel will hold food that needs no cooking."),
    )
    allergens = forms.MultipleChoiceField(
        label=_("Allergens"),
        choices=ALLERGEN_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "The first 8 must be labelled on packages, the other 20 are recommended: "
            "packing avoids food that contains what is ticked."
        ),
    )
    allergies = forms.CharField(
        label=_("Allergies"),
        required=False,
        max_length=500,
        help_text=_("Anything not in the list above."),
    )
    dietary_note = forms.CharField(
        label=_("Other dietary needs"), required=False, max_length=1000, help_text=_("e.g. more protein")
    )
    diapers_size = forms.ChoiceField(
        label=_("Diapers (size)"), required=False, choices=[("", _("Not needed")), *DiaperSize.choices]
    )
    formula = forms.BooleanField(label=_("Formula milk"), required=False)
    gas_canisters = forms.IntegerField(
        label=_("Gas canisters"), required=False, widget=forms.NumberInput(attrs={"min": 0})
    )
    hygiene = forms.BooleanField(label=_("Hygiene goods"), required=False)
    other_extra = forms.CharField(label=_("Something else"), required=False, max_length=200)
    delivery_date = forms.DateField(
        label=_("Preferred delivery date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    time_slot = forms.ChoiceField(label=_("Time slot"), choices=TimeSlot.choices, required=False)
    # Consent
    consent_share = forms.BooleanField(
        label=_("The person agreed that their details go to the food bank"),
        required=False,
        help_text=_("Required: without it the request cannot be filed."),
    )
    consent_referral = forms.ChoiceField(
        label=_("Referral to a consultation service"), choices=YES_NO_UNASKED, required=False
    )
    consent_phone = forms.ChoiceField(label=_("Contact by phone"), choices=YES_NO_UNASKED, required=False)
    consent_method = forms.ChoiceField(
        label=_("How consent was given"),
        choices=[("signed_form", _("Signed form")), ("verbal", _("Verbally, with a witness"))],
        initial="signed_form",
        widget=forms.RadioSelect,
    )
    witness_name = forms.CharField(label=_("Witness (verbal consent)"), required=False, max_length=100)
    by_guardian = forms.BooleanField(label=_("Given by a guardian"), required=False)
    guardian_name = forms.CharField(label=_("Guardian's name"), required=False, max_length=100)
    client_reference = forms.CharField(label=_("Your case number"), required=False, max_length=64)
    agency = forms.TypedChoiceField(label=_("Agency"), coerce=int, required=False)

    def __init__(self, *args, agencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        if len(agencies) > 1:
            self.fields["agency"].choices = [(a.pk, a.name) for a in agencies]
            self.fields["agency"].required = True
        else:
            del self.fields["agency"]
        self._extra_fields: list[str] = []

    def clean_children_ages(self):
        raw = self.cleaned_data["children_ages"].replace("、", ",").replace("，", ",")
        try:
            return [int(part) for part in raw.split(",") if part.strip()]
        except ValueError:
            raise forms.ValidationError(_("Ages as numbers separated by commas, e.g. 4, 9")) from None

    def api_body(self) -> dict:
        """The cleaned values as the body of POST /api/v1/delivery-requests/."""
        d = self.cleaned_data
        extras, self._extra_fields = [], []
        for field_name, extra in (
            ("diapers_size", {"item": "diapers", "size": d["diapers_size"], "quantity": 1}),
            ("formula", {"item": "formula", "quantity": 1}),
            ("gas_canisters", {"item": "gas_canister", "quantity": d["gas_canisters"]}),
            ("hygiene", {"item": "hygiene", "quantity": 1}),
            ("other_extra", {"item": "other", "quantity": 1, "note": d["other_extra"]}),
        ):
            if d[field_name]:
                extras.append(extra)
                self._extra_fields.append(field_name)
        body = {
            "recipient": {
                key: d[key] for key in ("name", "name_kana", "phone", "postal_code", "address", "building")
            },
            "household": {
                "type": d["household_type"],
                "adults": d["adults"],
                "children": d["children"],
                "children_ages": d["children_ages"],
                "infants": d["infants"],
                "elderly": d["elderly"],
            },
            "situation": {
                "category": d["situation_category"],
                "note": d["situation_note"],
                "no_food_today": d["no_food_today"],
            },
            "days_needed": d["days_needed"],
            "cooking": {key: key in d["cooking"] for key, _label in COOKING_CHOICES},
            "dietary": {
                "allergies": d["allergies"],
                "allergens": list(d["allergens"]),
                "note": d["dietary_note"],
            },
            "extras": extras,
            "delivery_date": d["delivery_date"].isoformat() if d["delivery_date"] else None,
            "time_slot": d["time_slot"] or "",
            "consent": {
                "share_with_foodbank": d["consent_share"],
                "referral": {"yes": True, "no": False}.get(d["consent_referral"]),
                "phone_contact": {"yes": True, "no": False}.get(d["consent_phone"]),
                "method": d["consent_method"],
                "witness_name": d["witness_name"],
                "by_guardian": d["by_guardian"],
                "guardian_name": d["guardian_name"],
            },
            "client_reference": d["client_reference"],
        }
        if "agency" in self.fields:
            body["agency"] = d["agency"]
        return body

    def add_api_errors(self, errors, path: tuple = ()) -> None:
        """Put the serializer's (nested) errors on the form fields they belong to."""
        if isinstance(errors, dict):
            for key, value in errors.items():
                self.add_api_errors(value, (*path, str(key)))
            return
        if isinstance(errors, list) and errors and not all(isinstance(e, str) for e in errors):
            for index, value in enumerate(errors):
                self.add_api_errors(value, (*path, str(index)))
            return
        messages = [str(e) for e in (errors if isinstance(errors, list) else [errors])]
        field = self._field_for(path)
        if field not in self.fields:
            field = None
        for message in messages:
            self.add_error(field, message)

    def _field_for(self, path: tuple) -> str | None:
        joined = ".".join(path)
        if joined in FIELD_FOR_PATH:
            return FIELD_FOR_PATH[joined]
        if path and path[0] == "cooking":
            return "cooking"
        if path[:2] == ("dietary", "allergens"):
            return "allergens"
        if path and path[0] == "extras" and len(path) > 1 and path[1].isdigit():
            index = int(path[1])
            if index < len(self._extra_fields):
                return self._extra_fields[index]
        return None  # shown above the form


# --- Correcting a filed request (docs/referrals.md) ------------------------------------------------

# API error path of DeliveryRequestCorrectionIn → form field.
CORRECTION_FIELD_FOR_PATH = {
    "phone": "phone",
    "address.postal_code": "postal_code",
    "address.prefecture": "postal_code",
    "address.municipality": "postal_code",
    "address.address": "address",
    "address.building": "building",
    "days_needed": "days_needed",
    "dietary.allergies": "allergies",
    "dietary.allergens": "allergens",
    "dietary.note": "dietary_note",
    "delivery_date": "delivery_date",
    "time_slot": "time_slot",
}


class RequestCorrectionForm(forms.Form):
    """The correction form of a filed request (case worker until approval, coordinator until
    packed). Like the filing form, it only collects values: ``DeliveryRequestCorrectionIn`` checks
    them. ``version`` is the request's entity tag when the form was shown: a request changed since
    is refused, not overwritten."""

    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
        help_text=_("Leave empty if the person has no phone: the label carries your agency's number."),
    )
    postal_code = DeliveryRequestForm.base_fields["postal_code"]
    address = DeliveryRequestForm.base_fields["address"]
    building = DeliveryRequestForm.base_fields["building"]
    days_needed = DeliveryRequestForm.base_fields["days_needed"]
    cooking = DeliveryRequestForm.base_fields["cooking"]
    allergens = DeliveryRequestForm.base_fields["allergens"]
    allergies = DeliveryRequestForm.base_fields["allergies"]
    dietary_note = DeliveryRequestForm.base_fields["dietary_note"]
    delivery_date = DeliveryRequestForm.base_fields["delivery_date"]
    time_slot = DeliveryRequestForm.base_fields["time_slot"]
    version = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._current = current

    def api_body(self) -> dict:
        """The cleaned values as the body of PATCH /api/v1/delivery-requests/{id}/. The delivery
        date only when changed: a date asked for that is past now cannot be given again."""
        d = self.cleaned_data
        body = {
            "phone": d["phone"],
            "address": {key: d[key] for key in ("postal_code", "address", "building")},
            "days_needed": d["days_needed"],
            "cooking": {key: key in d["cooking"] for key, _label in COOKING_CHOICES},
            "dietary": {
                "allergies": d["allergies"],
                "allergens": list(d["allergens"]),
                "note": d["dietary_note"],
            },
            "time_slot": d["time_slot"],
        }
        if self._current is None or d["delivery_date"] != self._current.delivery_date:
            body["delivery_date"] = d["delivery_date"].isoformat() if d["delivery_date"] else None
        return body

    def add_api_errors(self, errors, path: tuple = ()) -> None:
        """Put the serializer's (nested) errors on the form fields they belong to."""
        if isinstance(errors, dict):
            for key, value in errors.items():
                self.add_api_errors(value, (*path, str(key)))
            return
        messages = [str(e) for e in (errors if isinstance(errors, list) else [errors])]
        joined = ".".join(path[:2]) if path[:2] == ("dietary", "allergens") else ".".join(path)
        field = "cooking" if path[:1] == ("cooking",) else CORRECTION_FIELD_FOR_PATH.get(joined)
        for message in messages:
            self.add_error(field, message)


# --- Referrals back to consultation services ------------------------------------------------------

SHAREABLE_CATEGORIES = [
    ("identity", _("Name")),
    ("contact", _("Phone number")),
    ("household", _("Household")),
    ("situation", _("Situation")),
]


class ReferralContactForm(forms.Form):
    """The target reached the person (one per referral on the inbox page: use a prefix)."""

    contacted_on = forms.DateField(
        label=_("Date of contact"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    outcome = forms.CharField(
        label=_("Outcome of the contact"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReferralCloseForm(forms.Form):
    outcome = forms.CharField(
        label=_("Outcome of the referral"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class FeedbackForm(forms.Form):
    message = forms.CharField(label=_("Message"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    received_on = forms.DateField(
        label=_("Received on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    publication = forms.ChoiceField(
        label=_("May it be published?"),
        choices=[
            ("private", _("Private: only the food bank's coordinators read it")),
            ("publish", _("May be published (reports, exports, leaflets)")),
        ],
        widget=forms.RadioSelect,
        initial="private",
    )


class HandoutContactForm(forms.Form):
    """Window staff: the person at a handout who asked to be referred gives a name and contact."""

    name = forms.CharField(
        label=_("Name (a pseudonym is fine)"), max_length=64, validators=[refuse_bidi_controls]
    )
    is_pseudonym = forms.BooleanField(label=_("This is a pseudonym"), required=False)
    name_kana = forms.CharField(
        label=_("Name (kana)"), max_length=64, required=False, validators=[refuse_bidi_controls]
    )
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    categories = forms.MultipleChoiceField(
        label=_("What the person agrees may be passed to the consultation service"),
        choices=SHAREABLE_CATEGORIES,
        widget=forms.CheckboxSelectMultiple,
        initial=["identity", "contact"],
    )
    method = forms.ChoiceField(
        label=_("How the consent was given"),
        choices=[("verbal", _("Verbal, with me as witness")), ("signed_form", _("Signed form"))],
        widget=forms.RadioSelect,
        initial="verbal",
    )
