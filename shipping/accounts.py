"""Writes of carrier accounts (codes, the sender block, cutoff and pickup days)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from foodbank.models import Organisation

from .models import CarrierAccount

FIELDS = (
    "name",
    "carrier",
    "billing_customer_code",
    "billing_class_code",
    "freight_number",
    "sender_name",
    "sender_name_kana",
    "sender_phone",
    "sender_postal_code",
    "sender_address",
    "sender_building",
    "default_item_name",
    "cutoff",
    "pickup_weekdays",
    "takes_requests",
    "takes_restocks",
    "takes_pantry",
    "active",
)


@transaction.atomic
def save_carrier_account(
    *, food_bank: Organisation, instance: CarrierAccount | None = None, **fields
) -> CarrierAccount:
    """Create (``instance`` None) or change a carrier account of ``food_bank``; the model's checks
    (a neutral sender name, pickup weekday digits) apply (ValidationError)."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"Unknown carrier account fields: {sorted(unknown)}")
    if instance is None:
        instance = CarrierAccount(food_bank=food_bank)
    elif instance.food_bank_id != food_bank.pk:
        raise ValidationError({"food_bank": _("The account belongs to another food bank.")})
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.full_clean()
    instance.save()
    return instance
