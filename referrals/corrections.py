"""Corrections after filing (docs/referrals.md, "Correcting a filed request").

``correct_recipient``: a person's identity, contact and address data (APPI art. 34), the only
writer of those ``Recipient`` fields after filing. The phone number's blind index and the
address's municipality follow the corrected values.

``correct_request``: a filed delivery request's address, phone, needs, delivery date and time slot,
by the filing agency until it is approved and by the food bank's coordinators until its parcel is
packed. Each correction is one ``DeliveryRequestEvent`` naming the corrected fields (never their
values); a scheduled request's parcel is re-labelled in the same transaction
(``handover.relabel_dispatch``).
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from foodbank import audit
from foodbank.crypto import blind_index
from foodbank.exceptions import PreconditionFailed
from foodbank.models import AuditEvent

from . import handover, locks
from .exceptions import NotCorrectable
from .models import COOKING_KEYS, DeliveryRequest, DeliveryRequestEvent, Recipient
from .services import announce_changes
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
        person = locks.lock_recipient(recipient_id)
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


# --- Correcting a filed request -------------------------------------------------------------------

S = DeliveryRequest.Status
# Who may correct until when (docs/referrals.md): the filing agency until approval, the food bank's
# coordinators until the parcel is packed (a packed box is not re-opened: cancel or void instead).
CORRECTABLE_BY_AGENCY = frozenset({S.SUBMITTED})
CORRECTABLE_BY_COORDINATOR = frozenset({S.SUBMITTED, S.APPROVED, S.SCHEDULED})

# What a correction may change, by the names its event records.
REQUEST_FIELDS = (
    "phone",
    "address",
    "days_needed",
    "cooking",
    "allergies",
    "allergens",
    "dietary_note",
    "extras",
    "delivery_date",
    "time_slot",
)
FIELD_LABELS = {
    "phone": _("phone"),
    "address": _("address"),
    "days_needed": _("days of food"),
    "cooking": _("cooking"),
    "allergies": _("allergies"),
    "allergens": _("allergens"),
    "dietary_note": _("dietary needs"),
    "extras": _("extra items"),
    "delivery_date": _("delivery date"),
    "time_slot": _("time slot"),
}
_ADDRESS_PARTS = ("postal_code", "address", "building")


def field_labels(fields: list[str]) -> str:
    """The corrected fields as a person reads them, in the active language: 「住所、電話番号」."""
    return pgettext("list separator", ", ").join(str(FIELD_LABELS.get(name, name)) for name in fields)


@dataclass(frozen=True)
class AddressInput:
    """A corrected address as the serializer checked it (postal code against Japan Post, the street
    part without prefecture and municipality)."""

    postal_code: str
    address: str
    building: str = ""


@dataclass(frozen=True)
class Correction:
    """What was corrected: the event's field names, and the parcels re-labelled (``Relabelled``
    from the shipping port, with what staff must still do at the carrier)."""

    request: DeliveryRequest
    fields: list[str]
    relabelled: list


def version_tag(request: DeliveryRequest, *, events: list | None = None) -> str:
    """The request's version as an HTTP entity tag: it changes with every event of the request
    (status changes and corrections) and with every change to its person's contact and address
    (a correction from the console too). A keyed hash, so the tag reveals nothing of the data.
    ``events``: all the request's events when the caller has read them (no query then)."""
    if events is not None:
        last = max((e.pk for e in events), default=0)
    else:
        last = (
            DeliveryRequestEvent.objects.filter(request_id=request.pk)
            .order_by("-pk")
            .values_list("pk", flat=True)
            .first()
        )
    person = request.recipient
    parts = [
        str(request.pk),
        str(last or 0),
        request.status,
        person.phone or "",
        person.postal_code,
        person.address,
        person.building,
    ]
    return '"' + blind_index("dr-version\0" + "\0".join(parts))[:32] + '"'


def correctable_statuses(*, coordinator: bool, filing_agency: bool) -> frozenset[str]:
    """The statuses in which a user may correct a request: as its food bank's coordinator, as a
    case worker of the agency that filed it, or both."""
    allowed: frozenset[str] = frozenset()
    if coordinator:
        allowed |= CORRECTABLE_BY_COORDINATOR
    if filing_agency:
        allowed |= CORRECTABLE_BY_AGENCY
    return allowed


def correct_request(
    *,
    request_id: int,
    by,
    changes: Mapping[str, Any],
    allowed: Collection[str],
    if_match: str | None = None,
    request=None,
) -> Correction:
    """Correct a filed request (see the module doc). ``changes`` maps names of ``REQUEST_FIELDS``
    to new values: ``phone`` in E.164 or "" (no phone), ``address`` an ``AddressInput``,
    ``cooking`` a partial dict of ``COOKING_KEYS``, ``extras`` the list as filed, the others as on
    the model. ``allowed``: the statuses the caller's role may correct in
    (``correctable_statuses``).

    In one transaction: a scheduled request's live parcel and its batch are locked first (the
    order every shipping write takes), then the request. ``if_match`` (an entity tag from
    ``version_tag``, or ``*``) that is no longer the request's raises ``PreconditionFailed``; a
    status outside ``allowed`` raises ``NotCorrectable``: nothing is written either way. Values
    equal to the current ones change nothing (no event): a retry is harmless.
    """
    unknown = set(changes) - set(REQUEST_FIELDS)
    if unknown:
        raise TypeError(f"Not correctable: {sorted(unknown)}")
    with transaction.atomic():
        handover.hold_dispatch(request_ids=[request_id])
        obj = locks.lock_request(request_id)
        if if_match is not None and if_match.strip() != "*" and if_match.strip() != version_tag(obj):
            raise PreconditionFailed()
        if obj.status not in allowed:
            raise NotCorrectable(status=obj.status)
        fields = _correct_person(obj, changes) + _correct_needs(obj, changes)
        if not fields:
            return Correction(request=obj, fields=[], relabelled=[])
        fields = [name for name in REQUEST_FIELDS if name in fields]
        DeliveryRequestEvent.objects.create(
            request=obj, by=by, from_status=obj.status, to_status=obj.status, fields=fields
        )
        announce_changes()
        audit.record(
            actor=by,
            action=AuditEvent.Action.CHANGE,
            object_type="delivery_request",
            object_id=obj.pk,
            subject_id=obj.recipient_id,
            food_bank_id=obj.food_bank_id,
            request=request,
            detail={"fields": fields},
        )
        relabelled = []
        if obj.status == S.SCHEDULED:
            relabelled = handover.relabel_dispatch(request_ids=[obj.pk], by=by, fields=fields)
    return Correction(request=obj, fields=fields, relabelled=relabelled)


def _correct_person(obj: DeliveryRequest, changes: Mapping[str, Any]) -> list[str]:
    person_changes: dict[str, str] = {}
    if "phone" in changes:
        person_changes["phone"] = changes["phone"] or ""
    address = changes.get("address")
    if address is not None:
        person_changes.update({name: getattr(address, name) for name in _ADDRESS_PARTS})
    if not person_changes:
        return []
    changed = correct_recipient(recipient_id=obj.recipient_id, changes=person_changes)
    obj.recipient = Recipient.objects.get(pk=obj.recipient_id)
    return (["phone"] if "phone" in changed else []) + (
        ["address"] if set(changed) & set(_ADDRESS_PARTS) else []
    )


def _correct_needs(obj: DeliveryRequest, changes: Mapping[str, Any]) -> list[str]:
    values: dict[str, Any] = {}
    for name in ("days_needed", "allergies", "allergens", "dietary_note", "delivery_date", "time_slot"):
        if name in changes:
            values[name] = changes[name]
    if "extras" in changes:
        values["extras"] = [dict(e) for e in changes["extras"]]
    cooking = {k: bool(v) for k, v in (changes.get("cooking") or {}).items() if k in COOKING_KEYS}
    fields = []
    update = []
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            fields.append(name)
            update.append(name)
    cooking_changed = [k for k, v in cooking.items() if getattr(obj, k) != v]
    for key in cooking_changed:
        setattr(obj, key, cooking[key])
    if cooking_changed:
        fields.append("cooking")
        update.extend(cooking_changed)
    if update:
        obj.save(update_fields=update)
    return fields
