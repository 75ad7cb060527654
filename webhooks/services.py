"""Writes of the webhooks: endpoints registered, rotated and revoked; a delivery resent.

The caller (API or page) has checked that the user manages the endpoint's agency
(``webhooks.selectors.may_manage``).
"""

import base64
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from foodbank import outbox
from foodbank.exceptions import DomainError
from foodbank.models import Organisation

from . import addresses, locks
from .models import WebhookDelivery, WebhookEndpoint
from .payloads import DELIVER_TASK, EVENT_TYPES

# How long the previous secret keeps signing after a rotation (a second signature header value).
ROTATION_OVERLAP = timedelta(hours=24)


class InvalidEndpoint(DomainError):
    status_code = 400
    code = "invalid_webhook_endpoint"


@dataclass(frozen=True)
class EndpointWithSecret:
    endpoint: WebhookEndpoint
    secret: str  # shown once


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def check_url(url: str) -> None:
    """HTTPS only; plain HTTP only to hosts in WEBHOOK_INSECURE_HOSTS (local test receivers)."""
    parts = urlsplit(url)
    if parts.scheme == "http" and parts.hostname in settings.WEBHOOK_INSECURE_HOSTS:
        return
    if parts.scheme != "https" or not parts.hostname:
        raise InvalidEndpoint(_("A webhook address must start with https://."))
    if addresses.internal_host(parts.hostname) and parts.hostname not in settings.WEBHOOK_INSECURE_HOSTS:
        # Names that resolve to a private address are refused at sending (webhooks/addresses.py).
        raise InvalidEndpoint(_("A webhook address must be on the internet, not a local or private network."))


def check_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown or not events:
        raise InvalidEndpoint(_("Choose one or more of the listed events."), unknown=unknown)
    return [e for e in EVENT_TYPES if e in events]


def register_endpoint(
    *, agency: Organisation, url: str, events: list[str], description: str = "", by: User
) -> EndpointWithSecret:
    """A new endpoint of ``agency``; returns it with its secret, which is not shown again."""
    check_url(url)
    if agency.food_bank_id is None:  # a food bank itself: endpoints are its agencies'
        raise ValueError("A webhook endpoint belongs to an agency of a food bank.")
    secret = new_secret()
    endpoint = WebhookEndpoint.objects.create(
        food_bank_id=agency.food_bank_id,
        agency=agency,
        url=url,
        events=check_events(events),
        description=description[:200],
        secret=secret,
        created_by=by,
    )
    return EndpointWithSecret(endpoint, secret)


def update_endpoint(*, endpoint_id: int, url: str | None = None, events: list[str] | None = None) -> None:
    changes: dict[str, object] = {}
    if url is not None:
        check_url(url)
        changes["url"] = url
    if events is not None:
        changes["events"] = check_events(events)
    if changes:
        WebhookEndpoint.objects.filter(pk=endpoint_id, revoked_at__isnull=True).update(**changes)


def rotate_secret(*, endpoint_id: int) -> str:
    """A new secret; the old one still signs for ROTATION_OVERLAP. Locks the endpoint row."""
    with transaction.atomic():
        endpoint = locks.lock_live_endpoint(endpoint_id)
        secret = new_secret()
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = timezone.now() + ROTATION_OVERLAP
        endpoint.secret = secret
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return secret


def revoke_endpoint(*, endpoint_id: int) -> None:
    """Nothing more is sent to it, pending deliveries included (the sender re-checks)."""
    WebhookEndpoint.objects.filter(pk=endpoint_id, revoked_at__isnull=True).update(revoked_at=timezone.now())


def resend_delivery(*, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again, with the same event id (the receiver de-duplicates): it becomes
    pending with a fresh retry window and is sent after commit."""
    with transaction.atomic():
        delivery = locks.lock_delivery(delivery_id)
        if delivery.status != WebhookDelivery.Status.PENDING:
            delivery.status = WebhookDelivery.Status.PENDING
            delivery.first_attempt_at = None
            delivery.next_attempt_at = None
            delivery.save(update_fields=["status", "first_attempt_at", "next_attempt_at"])
        outbox.enqueue(DELIVER_TASK, endpoint_id=delivery.endpoint_id)
    return delivery
