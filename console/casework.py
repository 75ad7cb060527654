"""Reads for the case workers' pages: search in their own agency's requests (name in kana or kanji,
phone through the blind index, reference or their own case number), a request's consents and
enrolment. Scoped by ``referrals.selectors.visible_requests``: a case worker never finds another
agency's request (docs/console.md)."""

import re
import unicodedata

from django.db.models import Q, QuerySet

from foodbank.crypto import blind_index
from foodbank.models import Role
from foodbank.selectors import has_role
from referrals import selectors as referral_selectors
from referrals.models import ConsentRecord, DeliveryRequest, Enrolment
from referrals.validation import FieldErrors, normalise_phone

from .people import hiragana, katakana, squeeze

KINDS = ("name", "phone", "reference")
_REFERENCE = re.compile(r"^(?:DR-?)?0*(\d{1,12})$", re.IGNORECASE)


def is_case_worker(user) -> bool:
    return has_role(user, Role.CASE_WORKER)


def own_requests(user) -> QuerySet[DeliveryRequest]:
    """The requests of the case worker's own agencies (never the food bank's other requests)."""
    return referral_selectors.visible_requests(user).filter(
        agency_id__in=[a.pk for a in referral_selectors.case_worker_agencies(user)]
    )


def search(user, *, kind: str, term: str, status: str = "") -> list[DeliveryRequest]:
    """ValueError for a term that is not valid for its kind."""
    term = unicodedata.normalize("NFKC", (term or "").strip())
    qs = own_requests(user).select_related("recipient")
    if status:
        qs = qs.filter(status=status)
    if kind == "name":
        if not term:
            raise ValueError("empty")
        qs = qs.annotate(
            name_squeezed=squeeze("recipient__name"), kana_squeezed=squeeze("recipient__name_kana")
        )
        condition = Q(name_squeezed__icontains=re.sub(r"\s+", "", term))
        for form in {katakana(term), hiragana(term)}:
            condition |= Q(kana_squeezed__icontains=form)
        qs = qs.filter(condition)
    elif kind == "phone":
        try:
            qs = qs.filter(recipient__phone_index=blind_index(normalise_phone(term)))
        except FieldErrors:
            raise ValueError("phone") from None
    elif kind == "reference":
        found = _REFERENCE.match(term)
        condition = Q(client_reference=term)
        if found:
            condition |= Q(pk=int(found.group(1)))
        qs = qs.filter(condition)
    else:
        raise ValueError("kind")
    return list(qs.order_by("-submitted_at", "-pk")[:100])


def consents_of(user, request: DeliveryRequest) -> list[ConsentRecord]:
    return list(
        referral_selectors.visible_consents(user)
        .filter(recipient_id=request.recipient_id)
        .select_related("recorded_by_organisation")
        .order_by("decided_at", "pk")
    )


def enrolment_of(request: DeliveryRequest) -> Enrolment | None:
    return Enrolment.objects.filter(recipient_id=request.recipient_id, active=True).first()
