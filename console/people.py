"""Reads for the people pages: search by name (kana or kanji), phone (through the blind index),
reference or postal code; and everything the food bank holds about one person, for their page and
for a disclosure request (開示請求, APPI art. 33). Coordinators of the food bank that holds the
person only (docs/console.md).

A phone number is looked up by its keyed hash (``foodbank.crypto.blind_index``) and never stored,
logged or put in a URL: the search form is a POST, and the audit event names the kind of search,
not the term.
"""

import re
import unicodedata
from dataclasses import dataclass

from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Replace

from foodbank import audit
from foodbank.crypto import blind_index
from foodbank.models import AuditEvent, ProvisionRecord
from foodbank.postal import normalise as normalise_postal_code
from foodbank.selectors import coordinator_food_bank_ids
from referrals.models import ConsentRecord, DeliveryRequest, Enrolment, Recipient, Referral
from referrals.validation import FieldErrors, normalise_phone
from shipping.models import Parcel

from .models import PersonCorrection

SEARCH_KINDS = ("name", "phone", "reference", "postal_code")
MAX_RESULTS = 50
_HIRAGANA = {code: code + 0x60 for code in range(0x3041, 0x3097)}
_REFERENCE = re.compile(r"^(?:DR-?)?0*(\d{1,12})$", re.IGNORECASE)


def katakana(text: str) -> str:
    """Kana as one form: full-width katakana (half-width folded by NFKC, hiragana shifted), no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "").translate(_HIRAGANA))


def hiragana(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if 0x30A1 <= ord(c) <= 0x30F6 else c for c in katakana(text))


def squeeze(field: str):
    return Replace(Replace(field, Value(" "), Value("")), Value("\u3000"), Value(""))


def people(user) -> QuerySet[Recipient]:
    """People of the user's food banks (coordinators), not yet erased by the retention job."""
    return Recipient.objects.filter(
        food_bank_id__in=coordinator_food_bank_ids(user), anonymised_at__isnull=True
    )


def search(user, *, kind: str, term: str) -> list[Recipient]:
    """People matching ``term``. ValueError when the term is not a valid one of its kind."""
    term = (term or "").strip()
    qs = people(user)
    if kind == "name":
        text = unicodedata.normalize("NFKC", term)
        if not text:
            raise ValueError("empty")
        squeezed = re.sub(r"\s+", "", text)
        # Compared without spaces (half- and full-width): "ヤマダハナコ" finds "ヤマダ ハナコ".
        qs = qs.annotate(name_squeezed=squeeze("name"), kana_squeezed=squeeze("name_kana"))
        condition = Q(name_squeezed__icontains=squeezed)
        for form in {katakana(text), hiragana(text)}:
            condition |= Q(kana_squeezed__icontains=form)
        qs = qs.filter(condition)
    elif kind == "phone":
        try:
            qs = qs.filter(phone_index=blind_index(normalise_phone(term)))
        except FieldErrors:
            raise ValueError("phone") from None
    elif kind == "reference":
        found = _REFERENCE.match(unicodedata.normalize("NFKC", term))
        condition = Q(delivery_requests__client_reference=term)
        if found:
            condition |= Q(delivery_requests__pk=int(found.group(1)))
        qs = qs.filter(condition)
    elif kind == "postal_code":
        qs = qs.filter(postal_code=normalise_postal_code(term))
    else:
        raise ValueError("kind")
    return list(qs.select_related("agency").distinct().order_by("name_kana", "name", "pk")[:MAX_RESULTS])


@dataclass(frozen=True)
class PersonRecord:
    """Everything the food bank holds about one person, for their page and their disclosure."""

    person: Recipient
    requests: list[DeliveryRequest]
    parcels: list[Parcel]
    referrals: list[Referral]
    consents: list[ConsentRecord]
    enrolments: list[Enrolment]
    provisions: list[ProvisionRecord]
    views: list[AuditEvent]
    corrections: list[PersonCorrection]


def person_record(user, person: Recipient) -> PersonRecord:
    food_banks = coordinator_food_bank_ids(user)
    requests = list(
        DeliveryRequest.objects.filter(recipient=person)
        .select_related("agency", "filed_by")
        .prefetch_related("events")
        .order_by("submitted_at", "pk")
    )
    return PersonRecord(
        person=person,
        requests=requests,
        parcels=list(
            Parcel.objects.filter(delivery_request__in=[r.pk for r in requests]).order_by("created_at", "pk")
        ),
        referrals=list(
            Referral.objects.filter(recipient=person)
            .select_related("target_site", "target_organisation", "created_by")
            .order_by("sent_at", "pk")
        ),
        consents=list(
            ConsentRecord.objects.filter(recipient=person)
            .select_related("withdrawal", "recorded_by", "recorded_by_organisation")
            .order_by("decided_at", "pk")
        ),
        enrolments=list(Enrolment.objects.filter(recipient=person).order_by("starts_on", "pk")),
        provisions=list(
            ProvisionRecord.objects.filter(food_bank_id__in=food_banks, subject_id=person.pk)
            .select_related("provided_by")
            .order_by("provided_at", "pk")
        ),
        views=list(
            AuditEvent.objects.filter(audit.subject_filter(person.pk), food_bank_id__in=food_banks)
            .select_related("actor")
            .order_by("at", "pk")
        ),
        corrections=list(
            PersonCorrection.objects.filter(recipient=person)
            .select_related("corrected_by")
            .order_by("at", "pk")
        ),
    )


def consent_state(consent: ConsentRecord) -> str:
    try:
        consent.withdrawal  # noqa: B018 (loads the one-to-one)
    except ConsentRecord.withdrawal.RelatedObjectDoesNotExist:
        return consent.decision
    return "withdrawn"
