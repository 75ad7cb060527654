"""Forms of the coordinators' console. Choices are limited to the coordinator's food bank, so
another food bank's organisation, window or item is never a valid choice."""

from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from foodbank import postal
from foodbank.models import Organisation, Role, Site
from foodbank.services import check_membership_scope
from foodbank.validators import validate_katakana_reading
from inventory.models import PackType
from referrals.models import ConsentRecord, DeliveryRequest
from shipping.accounts import FIELDS as CARRIER_FIELDS
from shipping.models import CarrierAccount

from . import selectors

PARTNER_KINDS = [(k, label) for k, label in Organisation.Kind.choices if k != Organisation.Kind.FOOD_BANK]
# Roles a person is invited to (integrations are machine accounts: they get a token, no invitation;
# the network role reads every food bank's figures, so only the installation's superuser grants it).
PERSON_ROLES = [(r, label) for r, label in Role.choices if r not in (Role.INTEGRATION, Role.NETWORK)]


class OrganisationForm(forms.ModelForm):
    kind = forms.ChoiceField(label=_("kind"), choices=PARTNER_KINDS)

    class Meta:
        model = Organisation
        fields = ["name", "name_kana", "kind", "phone", "email", "municipality", "active"]


class SiteForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("operated by"), queryset=Organisation.objects.none())
    kind = forms.ChoiceField(label=_("kind"), choices=Site.Kind.choices, initial=Site.Kind.WINDOW)
    name = forms.CharField(label=_("name"), max_length=200)
    name_kana = forms.CharField(
        label=_("name reading (kana)"),
        max_length=200,
        required=False,
        validators=[validate_katakana_reading],
        help_text=_("The reading in full-width katakana, published in the open directory."),
    )
    postal_code = forms.CharField(
        label=_("postal code"),
        max_length=10,
        help_text=_("The municipality and regional bureau are taken from Japan Post's data."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )
    address = forms.CharField(label=_("street address"), max_length=200)
    building = forms.CharField(label=_("building"), max_length=200, required=False)
    phone = forms.CharField(label=_("phone"), max_length=32, required=False)
    opening_hours = forms.CharField(
        label=_("opening hours"),
        max_length=200,
        required=False,
        help_text=_("e.g. 平日 9:00–17:00（祝日・年末年始を除く）"),
    )
    active = forms.BooleanField(label=_("active"), required=False, initial=True)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = selectors.organisations(user).order_by("food_bank_id", "name")

    def clean_postal_code(self):
        try:
            code = postal.normalise(self.cleaned_data["postal_code"])
        except ValueError:
            raise forms.ValidationError(_("A postal code has seven digits, e.g. 060-0001.")) from None
        if postal.lookup(code) is None:
            raise forms.ValidationError(_("Unknown postal code."))
        return code

    def clean(self):
        data = super().clean()
        organisation, kind = data.get("organisation"), data.get("kind")
        if organisation and kind == Site.Kind.WAREHOUSE and organisation.kind != Organisation.Kind.FOOD_BANK:
            self.add_error("organisation", _("A warehouse is run by the food bank itself."))
        return data


class ParLevelsForm(forms.Form):
    """One par level per active pack type of the window's food bank."""

    def __init__(self, *args, site: Site, current: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.pack_types = list(PackType.objects.filter(food_bank_id=site.food_bank_id, active=True))
        for pt in self.pack_types:
            level = current.get(pt.pk)
            self.fields[f"par_{pt.pk}"] = forms.IntegerField(
                label=pt.name, min_value=0, max_value=10000, initial=level.par if level else 0
            )

    def levels(self) -> dict:
        return {pt: self.cleaned_data[f"par_{pt.pk}"] for pt in self.pack_types}


class DispatchRuleForm(forms.Form):
    """The food bank's sizing rule (inventory.sizing): per active pack type, how many person-days
    one pack feeds and how many fit one box."""

    def __init__(self, *args, pack_types: list[PackType], current: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.pack_types = pack_types
        for pt in pack_types:
            size = current[pt.pk]
            self.fields[f"days_{pt.pk}"] = forms.IntegerField(
                label=_("%(name)s: person-days per pack") % {"name": pt.name},
                min_value=1,
                max_value=366,
                initial=size.person_days,
            )
            self.fields[f"box_{pt.pk}"] = forms.IntegerField(
                label=_("%(name)s: packs per box at most") % {"name": pt.name},
                min_value=1,
                max_value=99,
                initial=size.max_per_box,
            )

    def values(self) -> dict:
        return {
            pt: (self.cleaned_data[f"days_{pt.pk}"], self.cleaned_data[f"box_{pt.pk}"])
            for pt in self.pack_types
        }


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("role"), choices=PERSON_ROLES)
    organisation = forms.ModelChoiceField(label=_("organisation"), queryset=Organisation.objects.none())
    site = forms.ModelChoiceField(
        label=_("site"),
        queryset=Site.objects.none(),
        required=False,
        help_text=_("Window staff: their window. Volunteers: optionally one warehouse."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = selectors.organisations(user).order_by("food_bank_id", "name")
        self.fields["site"].queryset = selectors.sites(user).order_by("kind", "name")

    def clean(self):
        data = super().clean()
        if data.get("role") and data.get("organisation"):
            try:
                check_membership_scope(
                    role=data["role"], organisation=data["organisation"], site=data.get("site")
                )
            except ValidationError as exc:
                raise forms.ValidationError(exc.messages) from None
        return data


class InviteForm(RoleForm):
    username = forms.RegexField(
        label=_("username"),
        max_length=150,
        regex=r"^[\w.@+-]+\Z",
        help_text=_("Letters, digits and @ . + - _ only; the person signs in with it."),
    )
    full_name = forms.CharField(label=_("full name"), max_length=150)
    email = forms.EmailField(label=_("email"), help_text=_("The invitation link is sent here."))

    field_order = ["full_name", "username", "email", "role", "organisation", "site"]


class IntegrationForm(forms.Form):
    username = forms.RegexField(label=_("username"), max_length=150, regex=r"^[\w.@+-]+\Z")
    full_name = forms.CharField(
        label=_("name of the system"), max_length=150, help_text=_("e.g. Support Information Navi")
    )


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("name"), max_length=100, help_text=_("e.g. 'Agency case system, production'")
    )
    expires_days = forms.IntegerField(
        label=_("valid for (days)"),
        min_value=0,
        max_value=3650,
        initial=365,
        help_text=_("0: no expiry."),
    )


class AcceptInvitationForm(SetPasswordForm):
    """Django's own set-password form: AUTH_PASSWORD_VALIDATORS apply."""


class CarrierAccountForm(forms.ModelForm):
    class Meta:
        model = CarrierAccount
        fields = list(CARRIER_FIELDS)
        widgets = {"cutoff": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}


class PackTypeForm(forms.ModelForm):
    class Meta:
        model = PackType
        fields = ["code", "name", "days", "sort_order", "active", "alternatives"]
        widgets = {"alternatives": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The code is the API's stable name (day1, day3, home): it does not change.
            self.fields["code"].disabled = True
            # Allergen-free alternatives: the food bank's other pack types (docs/traceability.md).
            self.fields["alternatives"].queryset = PackType.objects.filter(
                food_bank_id=self.instance.food_bank_id
            ).exclude(pk=self.instance.pk)
        else:
            del self.fields["alternatives"]  # named once the pack type exists

    def validate_unique(self):
        # The food bank is set by the service; (food_bank, code) is checked in the view.
        pass


class RecipeForm(forms.Form):
    """A new version of a pack type's contents: a quantity per item (0: not in the pack)."""

    note = forms.CharField(label=_("note"), max_length=300, required=False)

    def __init__(self, *args, items, current: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            self.fields[f"item_{item.pk}"] = forms.IntegerField(
                label=f"{item.name} ({item.unit})",
                min_value=0,
                max_value=1000,
                initial=current.get(item.pk, 0),
            )

    def lines(self) -> list:
        return [
            (i, self.cleaned_data[f"item_{i.pk}"]) for i in self.items if self.cleaned_data[f"item_{i.pk}"]
        ]

    def clean(self):
        data = super().clean()
        if not self.errors and not self.lines():
            raise forms.ValidationError(_("A recipe needs at least one item."))
        return data


class PersonSearchForm(forms.Form):
    KINDS = [
        ("name", _("Name (kana or kanji)")),
        ("phone", _("Phone")),
        ("reference", _("Reference (DR-… or the agency's case number)")),
        ("postal_code", _("Postal code")),
    ]
    kind = forms.ChoiceField(label=_("Search by"), choices=KINDS, initial="name")
    term = forms.CharField(label=_("Search for"), max_length=100)


class ConsentDecisionForm(forms.Form):
    purpose = forms.ChoiceField(label=_("purpose"), choices=ConsentRecord.Purpose.choices)
    decision = forms.ChoiceField(label=_("decision"), choices=ConsentRecord.Decision.choices)
    method = forms.ChoiceField(label=_("how it was obtained"), choices=ConsentRecord.Method.choices)
    witness = forms.CharField(
        label=_("witness"), max_length=100, required=False, help_text=_("Required for a verbal decision.")
    )

    def clean(self):
        data = super().clean()
        if data.get("method") == ConsentRecord.Method.VERBAL and not data.get("witness", "").strip():
            self.add_error("witness", _("Name the witness of a verbal decision."))
        return data


class WithdrawForm(forms.Form):
    method = forms.ChoiceField(label=_("how it was told"), choices=ConsentRecord.Method.choices)
    witness = forms.CharField(label=_("witness"), max_length=100, required=False)
    note = forms.CharField(label=_("note"), max_length=300, required=False)

    def clean(self):
        data = super().clean()
        if data.get("method") == ConsentRecord.Method.VERBAL and not data.get("witness", "").strip():
            self.add_error("witness", _("Name the witness of a verbal decision."))
        return data


class CorrectionForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=64)
    name_kana = forms.CharField(label=_("name (kana)"), max_length=64, required=False)
    phone = forms.CharField(label=_("phone"), max_length=32, required=False)
    postal_code = forms.CharField(label=_("postal code"), max_length=10, required=False)
    address = forms.CharField(label=_("street address"), max_length=200, required=False)
    building = forms.CharField(label=_("building"), max_length=200, required=False)
    reason = forms.CharField(label=_("reason for the correction"), max_length=300)
    requested_by_person = forms.BooleanField(label=_("the person asked for it"), required=False, initial=True)


class RequestSearchForm(forms.Form):
    KINDS = [
        ("name", _("Name (kana or kanji)")),
        ("phone", _("Phone")),
        ("reference", _("Reference (DR-… or your case number)")),
    ]
    kind = forms.ChoiceField(label=_("Search by"), choices=KINDS, initial="name")
    term = forms.CharField(label=_("Search for"), max_length=100)
    status = forms.ChoiceField(label=_("status"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), *DeliveryRequest.Status.choices]


class EnrolForm(forms.Form):
    starts_on = forms.DateField(
        label=_("first month"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Its first day counts."),
    )
