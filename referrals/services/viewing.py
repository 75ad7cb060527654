"""Audit events for staff who were shown recipients' data in delivery requests and referrals: one
function per kind of answer, shared by the pages and the API (docs/trust.md)."""

from collections.abc import Sequence

from django.http import HttpRequest

from foodbank import audit

from ..models import DeliveryRequest, Referral


def record_request_view(
    *, request: HttpRequest, delivery_request: DeliveryRequest, detail: dict[str, object] | None = None
) -> None:
    """One request shown whole (its page, its API answer, its correction form, the console's
    comparison of two)."""
    audit.record_view(
        request,
        object_type="delivery_request",
        object_id=delivery_request.pk,
        subject_id=delivery_request.recipient_id,
        food_bank_id=delivery_request.food_bank_id,
        detail=detail,
    )


def record_request_list_view(*, request: HttpRequest, requests: Sequence[DeliveryRequest]) -> None:
    """A list shows the people of its requests: one event, with their ids."""
    audit.record_view(
        request,
        object_type="delivery_request",
        object_id="list",
        subject_ids=[r.recipient_id for r in requests],
        detail={"ids": [r.pk for r in requests]},
    )


def record_referral_view(*, request: HttpRequest, referrals: Sequence[Referral]) -> None:
    """Referrals shown with the personal details shared with the service; withdrawn ones show none,
    so nothing is recorded for them."""
    shown = [r for r in referrals if not r.withdrawn]
    if not shown:
        return
    audit.record_view(
        request,
        object_type="referral",
        object_id=shown[0].pk if len(shown) == 1 else "list",
        subject_id=shown[0].recipient_id if len(shown) == 1 else None,
        detail={"ids": [r.pk for r in shown]},
    )
