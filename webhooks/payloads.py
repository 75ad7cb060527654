"""What an agency's system is told about one change of its request: the same body in the changes
feed and in a webhook delivery (docs/webhooks.md).

Only what the request API already gives the agency, and less: ids, references, statuses, the
tracking number of a shipped parcel, the reason of a decline, cancellation or return, and the
names of the fields a correction changed. Never the person's name, address, phone or situation (nor
a corrected value): a receiver that needs them reads the request.
"""

from dataclasses import dataclass
from datetime import datetime

from referrals.models import DeliveryRequest, DeliveryRequestEvent, Referral, ReferralEvent

S = DeliveryRequest.Status
# Statuses whose event note is the reason the agency is shown on the request.
REASON_STATUSES = frozenset({S.DECLINED, S.CANCELLED, S.RETURNED})
# The steps of a referral made from a request that its agency hears of (the request API shows the
# referral's status, never the target's notes).
REFERRAL_KINDS = (ReferralEvent.Kind.ACKNOWLEDGED, ReferralEvent.Kind.CLOSED)
# A correction of a filed request (docs/referrals.md): its status stays, ``fields`` names what changed.
CORRECTED = "delivery_request.corrected"
EVENT_TYPES = (
    *(f"delivery_request.{status}" for status in S.values),
    CORRECTED,
    *(f"referral.{kind}" for kind in REFERRAL_KINDS),
)
EVENT_TYPE_CHOICES = [(t, t) for t in EVENT_TYPES]
# The sending task, named for the outbox (webhooks.tasks imports the modules that schedule it).
DELIVER_TASK = "webhooks.tasks.deliver_endpoint_task"


@dataclass(frozen=True)
class Change:
    """One delivery request event as the outside world sees it."""

    event_pk: int
    request_id: int
    agency_id: int | None
    food_bank_id: int
    at: datetime
    body: dict

    @property
    def event_id(self) -> str:
        """Stable across retries and the feed: receivers de-duplicate by it."""
        return self.body["id"]

    @property
    def type(self) -> str:
        return self.body["type"]


def change_of(event: DeliveryRequestEvent, request: DeliveryRequest) -> Change:
    shipped = event.to_status == S.SHIPPED and not event.fields
    data = {
        "request_id": request.pk,
        "reference": request.reference,
        "client_reference": request.client_reference,
        "agency": request.agency_id,
        "from_status": event.from_status or None,
        "status": event.to_status,
        "tracking_number": event.note if shipped else "",
        "tracking_url": request.tracking_url if shipped and request.tracking_number == event.note else "",
        "reason": event.note if event.to_status in REASON_STATUSES and not event.fields else "",
        "fields": list(event.fields or []),
    }
    body = {
        "type": CORRECTED if event.fields else f"delivery_request.{event.to_status}",
        "timestamp": event.at.isoformat(),
        "data": data,
    }
    return Change(
        event_pk=event.pk,
        request_id=request.pk,
        agency_id=request.agency_id,
        food_bank_id=request.food_bank_id,
        at=event.at,
        body={"id": f"evt_dr_{event.pk}", **body},
    )


def referral_change_of(event: ReferralEvent, referral: Referral, request: DeliveryRequest) -> Change:
    """A step of a referral made from ``request``: its status only."""
    data = {
        "referral_id": referral.pk,
        "reference": referral.reference,
        "request_id": request.pk,
        "request_reference": request.reference,
        "client_reference": request.client_reference,
        "agency": request.agency_id,
        "status": event.kind,
    }
    return Change(
        event_pk=event.pk,
        request_id=request.pk,
        agency_id=request.agency_id,
        food_bank_id=request.food_bank_id,
        at=event.at,
        body={
            "id": f"evt_rf_{event.pk}",
            "type": f"referral.{event.kind}",
            "timestamp": event.at.isoformat(),
            "data": data,
        },
    )
