"""Sending webhook deliveries: signed the Standard Webhooks way, in order per request, retried with
exponential backoff for WEBHOOK_RETRY_HOURS, then given up and the people in charge told.

Signature (https://www.standardwebhooks.com/): headers ``webhook-id`` (the event id),
``webhook-timestamp`` (Unix seconds) and ``webhook-signature`` (``v1,<base64 HMAC-SHA256 of
"id.timestamp.body">``; two of them, space-separated, for a day after a secret rotation).

A delivery is claimed (``claimed_until``) before it is sent and no lock is held across the network
call. Deliveries of one request go out one after the other (``event_seq``): a later event waits
while an earlier one is pending, so a receiver never hears "shipped" before "approved".
"""

import json
import logging
import time
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import Webhook

from foodbank.models import Membership, Role

from . import addresses
from .models import WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

PENDING = WebhookDelivery.Status.PENDING
# A run of the task sends at most this many, then hands over to a fresh task.
MAX_PER_RUN = 200
# The addresses of a name tried in one attempt, one after the other while none connects (_post).
MAX_ADDRESSES = 3
# Where to post: the URL (its host pinned to a checked address), the Host header, httpx's extensions.
Target = tuple[str, dict[str, str], dict[str, str]]


def body_bytes(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def signature(endpoint: WebhookEndpoint, *, event_id: str, at, body: bytes) -> str:
    secrets = [endpoint.secret]
    if endpoint.previous_secret and (endpoint.previous_secret_expires_at or at) > at:
        secrets.append(endpoint.previous_secret)
    return " ".join(Webhook(s).sign(msg_id=event_id, timestamp=at, data=body) for s in secrets)


def backoff(attempts: int) -> timedelta:
    """Exponential: base, 2×base, 4×base … capped at WEBHOOK_RETRY_MAX_SECONDS."""
    seconds = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.WEBHOOK_RETRY_MAX_SECONDS))


def _due(endpoint_id: int, now):
    earlier_pending = WebhookDelivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        request_id=OuterRef("request_id"),
        status=PENDING,
        event_seq__lt=OuterRef("event_seq"),
    )
    return (
        WebhookDelivery.objects.filter(endpoint_id=endpoint_id, status=PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .exclude(Exists(earlier_pending))
        .order_by("event_seq")
    )


def _claim(delivery_id: int, now) -> bool:
    # An attempt's connections (TCP, then TLS, all addresses together) take at most twice the
    # timeout (_post), sending and reading the answer the timeout each; the 30 s are for DNS.
    hold = timedelta(seconds=4 * settings.WEBHOOK_TIMEOUT_SECONDS + 30)
    return bool(
        WebhookDelivery.objects.filter(pk=delivery_id, status=PENDING)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + hold)
    )


def send_one(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> bool:
    """POST one claimed delivery; record the outcome. Returns whether the receiver took it."""
    at = timezone.now()
    body = body_bytes(delivery.payload)
    headers = {
        "content-type": "application/json",
        "user-agent": "foodbank-webhooks/1",
        "webhook-id": delivery.event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature(endpoint, event_id=delivery.event_id, at=at, body=body),
    }
    code, error = None, ""
    try:
        code = _post(_targets(endpoint.url), content=body, headers=headers)
    except (httpx.HTTPError, addresses.PrivateAddress, OSError, UnicodeError) as exc:
        # A private address (or a name IDNA cannot encode) is a failure like any other: retried,
        # then given up and reported.
        error = type(exc).__name__
    ok = code is not None and 200 <= code < 300
    _record(endpoint, delivery, ok=ok, code=code, error=error)
    return ok


def _post(targets: list[Target], *, content: bytes, headers: dict[str, str]) -> int:
    """POST to the first of ``targets`` that connects; its answer's status code.

    Only a failure to connect (TCP or TLS: nothing was sent) moves on to the next address. The
    addresses share WEBHOOK_TIMEOUT_SECONDS to connect: each gets the time left divided by the
    addresses left, so one that fails at once hands its time on. Once connected, the answer (or
    its failure: the body may have arrived) ends the attempt, so no second address can be sent an
    event the first may have taken.
    """
    limit = settings.WEBHOOK_TIMEOUT_SECONDS
    deadline = time.monotonic() + limit

    def send(client: httpx.Client, target: Target, left: int) -> int:
        url, host_header, extensions = target
        connect = max(deadline - time.monotonic(), 0.1) / left
        request = client.build_request(
            "POST",
            url,
            content=content,
            headers={**headers, **host_header},
            extensions=extensions,
            timeout=httpx.Timeout(limit, connect=connect),
        )
        return client.send(request).status_code

    with httpx.Client(follow_redirects=False) as client:
        for left, target in zip(range(len(targets), 1, -1), targets[:-1], strict=True):
            try:
                return send(client, target, left)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                logger.info(
                    "Webhook: no connection to %s (%s); trying the next address",
                    urlsplit(target[0]).hostname,
                    type(exc).__name__,
                )
        return send(client, targets[-1], 1)


def _targets(url: str) -> list[Target]:
    """Where to post, in order (at most MAX_ADDRESSES): each a URL, the Host header and httpx's
    extensions.

    The host is resolved here and refused when any of its addresses is private; the request goes to
    a checked address, with the name in the Host header and in TLS (SNI and certificate check),
    so DNS cannot answer differently between check and connection (webhooks/addresses.py). Hosts
    in WEBHOOK_INSECURE_HOSTS (local test receivers) are used as they are.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").encode("idna").decode("ascii")
    if host in settings.WEBHOOK_INSECURE_HOSTS:
        return [(url, {}, {})]
    found = addresses.public_addresses(host, parts.port or (80 if parts.scheme == "http" else 443))
    name = f"[{host}]" if ":" in host else host  # an IPv6 literal, as in a URL
    host_header = f"{name}:{parts.port}" if parts.port else name
    return [
        (addresses.pinned_url(url, address), {"host": host_header}, {"sni_hostname": host})
        for address in found[:MAX_ADDRESSES]
    ]


def _record(endpoint, delivery, *, ok: bool, code: int | None, error: str) -> None:
    now = timezone.now()
    first = delivery.first_attempt_at or now
    common = {
        "attempts": F("attempts") + 1,
        "first_attempt_at": first,
        "last_status_code": code,
        "last_error": error or ("" if ok else f"HTTP {code}"),
        "claimed_until": None,
    }
    rows = WebhookDelivery.objects.filter(pk=delivery.pk, status=PENDING)
    if ok:
        rows.update(status=WebhookDelivery.Status.DELIVERED, delivered_at=now, next_attempt_at=None, **common)
        if endpoint.failing_since is not None:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        return
    if now - first >= timedelta(hours=settings.WEBHOOK_RETRY_HOURS):
        rows.update(status=WebhookDelivery.Status.FAILED, next_attempt_at=None, **common)
        logger.warning("Webhook delivery %s to endpoint %s given up", delivery.pk, endpoint.pk)
        if WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
            failing_since=now
        ):
            _tell_people_in_charge(endpoint)
        return
    rows.update(next_attempt_at=now + backoff(delivery.attempts + 1), **common)


def _tell_people_in_charge(endpoint: WebhookEndpoint) -> None:
    """Email the food bank's coordinators and whoever registered the endpoint, once per failure."""
    coordinators = Membership.objects.filter(
        role=Role.COORDINATOR, organisation_id=endpoint.food_bank_id, active=True, user__is_active=True
    ).values_list("user__email", flat=True)
    # A deactivated account's owner has left: the coordinators are told instead.
    creator = endpoint.created_by.email if endpoint.created_by.is_active else ""
    to = sorted({a for a in [*coordinators, creator] if a})
    if not to:
        return
    with translation.override(settings.LANGUAGE_CODE):
        send_mail(
            _("Webhook endpoint failing: %(agency)s") % {"agency": endpoint.agency.name},
            _(
                "Deliveries to %(url)s have failed for %(hours)s hours and were given up. Check the "
                "endpoint and resend the failed deliveries from its page."
            )
            % {"url": endpoint.url, "hours": settings.WEBHOOK_RETRY_HOURS},
            None,
            to,
        )


def deliver_endpoint(*, endpoint_id: int) -> tuple[int, float | None]:
    """Send what is due for one endpoint; returns (sent, seconds until the next retry is due)."""
    endpoint = (
        WebhookEndpoint.objects.select_related("agency", "created_by")
        .filter(pk=endpoint_id, revoked_at__isnull=True)
        .first()
    )
    if endpoint is None:
        return 0, None  # revoked (or gone): nothing more is sent
    sent = 0
    for _i in range(MAX_PER_RUN):
        now = timezone.now()
        delivery = _due(endpoint_id, now).first()
        if delivery is None:
            break
        if not _claim(delivery.pk, now):
            continue
        if not send_one(endpoint, delivery):
            continue  # it waits for its retry; other requests' deliveries go on
        sent += 1
    upcoming = (
        WebhookDelivery.objects.filter(endpoint_id=endpoint_id, status=PENDING, next_attempt_at__isnull=False)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    wait = None if upcoming is None else max((upcoming - timezone.now()).total_seconds(), 0.0)
    return sent, wait
