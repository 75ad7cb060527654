from django import forms
from django.utils.translation import gettext_lazy as _

from referrals.models import DeliveryRequest

from .payloads import EVENT_TYPES

EVENT_CHOICES = [
    *((f"delivery_request.{value}", label) for value, label in DeliveryRequest.Status.choices),
    ("delivery_request.corrected", _("Request corrected (the fields, not the values)")),
    ("referral.acknowledged", _("Referral acknowledged by the consultation service")),
    ("referral.closed", _("Referral closed")),
]
assert [value for value, _label in EVENT_CHOICES] == list(EVENT_TYPES)  # noqa: S101 (one list)


class EndpointForm(forms.Form):
    agency = forms.ModelChoiceField(label=_("Agency"), queryset=None, empty_label=None)
    url = forms.URLField(
        label=_("Address (https://…)"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Your system's receiver. We sign every delivery; check the signature."),
    )
    events = forms.MultipleChoiceField(
        label=_("Tell it when"),
        choices=EVENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=[
            f"delivery_request.{s}"
            for s in ("approved", "declined", "shipped", "delivered", "returned", "cancelled")
        ],
    )
    description = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies
