"""Audit events for staff who saw parcels' label data."""

from django.http import HttpRequest

from foodbank import audit
from foodbank.models import AuditEvent
from referrals.models import DeliveryRequest

from ..models import Parcel

S = Parcel.Status


def record_parcel_view(*, request: HttpRequest, parcel: Parcel) -> None:
    """Record that ``request.user`` saw one parcel's label data (name, address, packing needs):
    staff views of personal data are audited (docs/spec.md §5), with the person when the parcel was made for
    a delivery request, so the disclosure export of that person lists it."""
    subject_id = None
    if parcel.delivery_request_id:
        subject_id = (
            DeliveryRequest.objects.filter(pk=parcel.delivery_request_id)
            .values_list("recipient_id", flat=True)
            .first()
        )
    audit.record_view(
        request,
        object_type="parcel",
        object_id=parcel.pk,
        subject_id=subject_id,
        food_bank_id=parcel.food_bank_id,
    )


def record_parcel_list_view(*, request: HttpRequest, ids: list[int]) -> None:
    """Record that ``request.user`` saw a list of parcels with their recipients' names: one event,
    with the people in it (``audit.record_shown``)."""
    record_parcels_shown(request=request, object_type="parcel", object_id="list", parcel_ids=ids)


def record_parcels_shown(
    *,
    request: HttpRequest,
    object_type: str,
    object_id: int | str,
    parcel_ids: list[int] | None = None,
    batch_id: int | None = None,
    action: str = AuditEvent.Action.VIEW,
    detail: dict[str, object] | None = None,
) -> None:
    """One audit event for an answer showing the label data of several parcels (a list, a page, a
    document of a batch): the recipients of those made for delivery requests, by id, so that each
    person's disclosure export lists it (docs/trust.md). Parcels of restocks and pantry boxes show
    no person."""
    parcels = Parcel.objects.all()
    if parcel_ids is not None:
        parcels = parcels.filter(pk__in=parcel_ids)
    if batch_id is not None:
        parcels = parcels.filter(batch_id=batch_id).exclude(status=S.VOID)
    rows = list(parcels.values_list("delivery_request__recipient_id", "food_bank_id"))
    audit.record_view(
        request,
        object_type=object_type,
        object_id=object_id,
        subject_ids=[subject for subject, _fb in rows],
        action=action,
        food_bank_id=rows[0][1] if rows else None,
        detail={**(detail or {}), **({"ids": parcel_ids} if parcel_ids is not None else {})},
    )
