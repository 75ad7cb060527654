"""Correction of a person's identity, contact and address data (APPI art. 34): the only writer of
those ``Recipient`` fields after filing. The phone number's blind index and the address's
municipality follow the corrected values."""

from django.db import transaction

from foodbank.crypto import blind_index

from .models import Recipient
from .validation import normalise_phone, resolve_address

CORRECTABLE = ("name", "name_kana", "phone", "postal_code", "address", "building")


def correct_recipient(*, recipient_id: int, changes: dict[str, str]) -> list[str]:
    """Apply ``changes`` (fields of ``CORRECTABLE``) to the person; returns the fields that changed.

    Locks the person's row. The phone is normalised to E.164 and re-indexed; a postal code is
    checked against Japan Post's data and sets the municipality (FieldErrors on either).
    """
    unknown = set(changes) - set(CORRECTABLE)
    if unknown:
        raise TypeError(f"Not correctable: {sorted(unknown)}")
    with transaction.atomic():
        person = Recipient.objects.select_for_update().get(pk=recipient_id)
        values = {k: (v or "").strip() for k, v in changes.items()}
        if "phone" in values:
            values["phone"] = normalise_phone(values["phone"]) if values["phone"] else ""
        if values.get("postal_code"):
            area = resolve_address(postal_code=values["postal_code"])
            values["postal_code"] = area.postal_code
            for name in ("prefecture", "municipality", "municipality_code", "regional_bureau"):
                setattr(person, name, getattr(area, name))
        changed = [name for name, value in values.items() if getattr(person, name) != value]
        if not changed:
            return []
        for name in changed:
            setattr(person, name, values[name])
        update = set(changed)
        if "phone" in update:
            person.phone_index = blind_index(person.phone) if person.phone else ""
            update.add("phone_index")
        if "postal_code" in update:
            update |= {"prefecture", "municipality", "municipality_code", "regional_bureau"}
        person.save(update_fields=sorted(update))
    return changed
