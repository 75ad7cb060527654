"""Writes of organisations (partner agencies, municipalities, pantry groups) of a food bank."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .geo import bureau_for_municipality_code
from .models import Organisation

FIELDS = ("name", "name_kana", "kind", "phone", "email", "municipality", "regional_bureau", "active")


@transaction.atomic
def save_partner(
    *, food_bank: Organisation, code: str, instance: Organisation | None = None, **fields
) -> Organisation:
    """Create (``instance`` None) or change a partner organisation of ``food_bank``.

    A partner is never a food bank and never moves to another food bank. ``fields`` are among
    ``FIELDS``; the regional bureau follows from a municipality code when one is given as
    ``municipality_code``.
    """
    if food_bank.kind != Organisation.Kind.FOOD_BANK:
        raise ValidationError({"food_bank": _("Not a food bank.")})
    if fields.get("kind") == Organisation.Kind.FOOD_BANK:
        raise ValidationError({"kind": _("A partner organisation cannot be a food bank.")})
    municipality_code = fields.pop("municipality_code", "")
    if municipality_code and not fields.get("regional_bureau"):
        fields["regional_bureau"] = bureau_for_municipality_code(municipality_code)
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"Unknown organisation fields: {sorted(unknown)}")
    if instance is None:
        instance = Organisation(food_bank=food_bank, code=code)
    elif instance.food_bank_id != food_bank.pk:
        raise ValidationError({"food_bank": _("The organisation belongs to another food bank.")})
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.full_clean()
    instance.save()
    return instance
