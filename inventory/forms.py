"""Forms of the window page. They validate only; the views call the services."""

import hashlib
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import late_entry
from .models import HandoutHouseholdType, PackType

# The common cases take two taps: a choice, then confirm. Each preset is shown when the food bank has
# its pack types.
PRESETS: dict[str, tuple[str, dict[str, int]]] = {
    "day1": (_("1 day"), {"day1": 1}),
    "day3": (_("3 days"), {"day3": 1}),
    "day3+day1": (_("3 + 1 days"), {"day3": 1, "day1": 1}),
}
CUSTOM = "custom"
MAX_SETS = 50


def new_key() -> str:
    return uuid.uuid4().hex


def fingerprint(data) -> str:
    """A digest of what a submitted form asks for (without the CSRF token, which changes)."""
    digest = hashlib.sha256()
    for name in sorted(data):
        if name == "csrfmiddlewaretoken":
            continue
        for value in data.getlist(name):
            digest.update(f"{name}={value}\0".encode())
    return digest.hexdigest()


class _KeyedForm(forms.Form):
    # Generated when the form is rendered: a double tap or a retried submission carries the same key,
    # and the server records it once (foodbank.idempotency.run_once).
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def with_new_key(self) -> "_KeyedForm":
        """The same submitted values under a fresh key (to render again after a refusal)."""
        data = self.data.copy()
        data["idempotency_key"] = new_key()
        form = type(self)(data, pack_types=self.pack_types)
        form.is_valid()
        return form


class HandoutForm(_KeyedForm):
    choice = forms.ChoiceField(label=_("What to hand out"), widget=forms.RadioSelect)
    # Both default to "not recorded": the two taps must not invent a household.
    household_size = forms.IntegerField(label=_("Household size"), min_value=1, max_value=30, required=False)
    household_type = forms.ChoiceField(
        label=_("Household type"), choices=HandoutHouseholdType.choices, initial=HandoutHouseholdType.UNKNOWN
    )
    # Empty: now. Earlier today or a past day within HANDOUT_LATE_ENTRY_DAYS (inventory.late_entry).
    occurred_at = forms.DateTimeField(
        label=_("When"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    referral_consent = forms.BooleanField(
        label=_("The person agrees to be referred to a consultation service"), required=False
    )
    # One tick, on by default: the sets are intact and in date. Unticked is recorded as "not
    # checked", never refused (docs/traceability.md).
    condition_checked = forms.BooleanField(
        label=_("Checked: packages intact and in date"), required=False, initial=True
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, pack_types: list[PackType], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.pack_types = pack_types
        codes = {pt.code for pt in pack_types}
        choices = [(key, label) for key, (label, lines) in PRESETS.items() if set(lines) <= codes]
        choices.append((CUSTOM, _("Other amounts")))
        self.fields["choice"].choices = choices
        for pt in pack_types:
            self.fields[f"qty_{pt.code}"] = forms.IntegerField(
                label=pt.name, min_value=0, max_value=MAX_SETS, required=False, initial=0
            )

    def presets(self):
        """(value, label, lines) for the big buttons."""
        return [(key, PRESETS[key][0]) for key, _label in self.fields["choice"].choices if key in PRESETS]

    def quantity_fields(self):
        return [self[f"qty_{pt.code}"] for pt in self.pack_types]

    def clean_occurred_at(self):
        try:
            return late_entry.check_occurred_at(self.cleaned_data.get("occurred_at"))
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages, code=exc.code) from exc

    def clean(self):
        data = super().clean()
        choice = data.get("choice")
        if choice == CUSTOM:
            lines = {pt.code: data.get(f"qty_{pt.code}") or 0 for pt in self.pack_types}
            lines = {code: q for code, q in lines.items() if q}
            if not lines:
                raise forms.ValidationError(_("Enter how many sets of at least one kind."))
            data["lines"] = lines
        elif choice in PRESETS:
            data["lines"] = dict(PRESETS[choice][1])
        return data


class RestockRequestForm(_KeyedForm):
    note = forms.CharField(label=_("Note for the food bank"), required=False, max_length=300)

    def __init__(
        self, *args, pack_types: list[PackType], suggested: dict[str, int] | None = None, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.pack_types = pack_types
        for pt in pack_types:
            self.fields[f"qty_{pt.code}"] = forms.IntegerField(
                label=pt.name,
                min_value=0,
                max_value=1000,
                required=False,
                initial=(suggested or {}).get(pt.code, 0),
            )

    def quantity_fields(self):
        return [self[f"qty_{pt.code}"] for pt in self.pack_types]

    def clean(self):
        data = super().clean()
        lines = {pt: data.get(f"qty_{pt.code}") or 0 for pt in self.pack_types}
        data["lines"] = {pt: q for pt, q in lines.items() if q}
        if not data["lines"]:
            raise forms.ValidationError(_("Ask for at least one set."))
        return data
