"""Row locks of the referrals domain, always taken in primary-key order so that two transactions
locking overlapping sets never deadlock. Evaluated with ``list()``: a lazy ``select_for_update()``
queryset takes no lock. (SQLite ignores FOR UPDATE; its writes are serialised anyway.)"""

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from foodbank.lookups import AnyOf

from .models import ConsentRecord, DeliveryRequest, Enrolment, Notification, Recipient, Referral


def lock_request(pk: int) -> DeliveryRequest:
    """Lock one delivery request (raises DeliveryRequest.DoesNotExist)."""
    rows = list(DeliveryRequest.objects.filter(pk=pk).select_for_update(of=("self",)))
    if not rows:
        raise DeliveryRequest.DoesNotExist(f"No delivery request {pk}.")
    return rows[0]


def lock_requests(pks: Iterable[int]) -> list[DeliveryRequest]:
    """Lock many delivery requests in primary-key order; missing ones are left out."""
    ids = sorted(set(pks))
    if not ids:
        return []
    return list(DeliveryRequest.objects.filter(pk__in=ids).order_by("pk").select_for_update(of=("self",)))


def lock_request_states(pks: Iterable[int]) -> list[tuple[int, int, str, str]]:
    """Lock many delivery requests in primary-key order and read only ``(pk, recipient_id, status,
    batch_ref)`` of each: the dispatch batch locks thousands at once, and full rows would decrypt
    every note for nothing. Missing ones are left out."""
    ids = sorted(set(pks))
    if not ids:
        return []
    return list(
        DeliveryRequest.objects.filter(AnyOf("pk", ids))
        .order_by("pk")
        .select_for_update(of=("self",))
        .values_list("pk", "recipient_id", "status", "batch_ref")
    )


def lock_consent(pk: int) -> ConsentRecord:
    rows = list(ConsentRecord.objects.filter(pk=pk).select_for_update(of=("self",)))
    if not rows:
        raise ConsentRecord.DoesNotExist(f"No consent record {pk}.")
    return rows[0]


def lock_enrolment(pk: int) -> Enrolment:
    rows = list(Enrolment.objects.filter(pk=pk).select_for_update(of=("self",)))
    if not rows:
        raise Enrolment.DoesNotExist(f"No enrolment {pk}.")
    return rows[0]


def lock_referral(pk: int) -> Referral:
    """Lock one referral (raises Referral.DoesNotExist)."""
    rows = list(Referral.objects.filter(pk=pk).select_for_update(of=("self",)))
    if not rows:
        raise Referral.DoesNotExist(f"No referral {pk}.")
    return rows[0]


def lock_referrals(pks: Iterable[int]) -> list[Referral]:
    """Lock many referrals in primary-key order; missing ones are left out."""
    ids = sorted(set(pks))
    if not ids:
        return []
    return list(Referral.objects.filter(pk__in=ids).order_by("pk").select_for_update(of=("self",)))


def lock_recipient(pk: int) -> Recipient:
    """Lock one recipient (raises Recipient.DoesNotExist)."""
    return Recipient.objects.select_for_update().get(pk=pk)


def lock_unsent_notification(pk: int) -> Notification | None:
    """Lock one notification if it is neither sent nor skipped (``None`` otherwise), with its
    event's request, the filer and the agency."""
    rows = list(
        Notification.objects.filter(pk=pk, sent_at__isnull=True, skipped="")
        .select_for_update(of=("self",))
        .select_related("event__request__filed_by", "event__request__agency")
    )
    return rows[0] if rows else None


def lock_still_selected(queryset: QuerySet[Any], pks: list[int]) -> list[int]:
    """Lock the rows of ``pks`` that ``queryset`` still selects, in primary-key order, and return
    their keys (retention: a row may have changed since its chunk was listed)."""
    return list(
        queryset.filter(pk__in=pks)
        .order_by("pk")
        .select_for_update(of=("self",))
        .values_list("pk", flat=True)
    )
