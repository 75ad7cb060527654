"""Webhook endpoints of partner agencies and the log of what was sent to them (docs/webhooks.md)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from foodbank.crypto import EncryptedTextField
from foodbank.models import Organisation


class WebhookEndpoint(models.Model):
    """An HTTPS address of an agency's system that is told about the agency's requests.

    The signing secret is shown once (on creation and on rotation) and stored encrypted: the
    server needs it to sign. After a rotation the previous secret still signs (a second signature)
    until ``previous_secret_expires_at``, so the receiver can switch without losing deliveries.
    """

    food_bank = models.ForeignKey(
        Organisation,
        verbose_name=_("food bank"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": Organisation.Kind.FOOD_BANK},
    )
    agency = models.ForeignKey(
        Organisation, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="webhook_endpoints"
    )
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # Event types (webhooks.payloads.EVENT_TYPES) the agency chose.
    events = models.JSONField(_("events"), default=list)
    secret = EncryptedTextField(_("signing secret"), editable=False)
    previous_secret = EncryptedTextField(_("previous signing secret"), blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    # Set when a delivery was given up (retried for WEBHOOK_RETRY_HOURS); cleared by a success.
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["agency_id", "pk"]
        indexes = [
            models.Index(
                fields=["agency"], condition=Q(revoked_at__isnull=True), name="webhook_active_by_agency"
            )
        ]

    def __str__(self) -> str:
        return self.url

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class WebhookDelivery(models.Model):
    """One event for one endpoint: sent until the receiver answers 2xx, then delivered, or given
    up after WEBHOOK_RETRY_HOURS (failed). A resend makes it pending again with the same event id.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("endpoint"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.CharField(_("event id"), max_length=64)
    # The event's row id: deliveries of one request go out in this order.
    event_seq = models.BigIntegerField(_("event sequence"))
    request_id = models.BigIntegerField(_("delivery request"))
    event_type = models.CharField(_("event"), max_length=64)
    payload = models.JSONField(_("body"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    first_attempt_at = models.DateTimeField(_("first attempt"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_status_code = models.PositiveSmallIntegerField(_("last answer"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-pk"]
        constraints = [
            # One delivery per event and endpoint: a second fan-out of the same event adds nothing.
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_delivery_once"),
        ]
        indexes = [
            models.Index(
                fields=["endpoint", "request_id", "event_seq"],
                condition=Q(status="pending"),
                name="webhook_delivery_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id}"


class FanOutCursor(models.Model):
    """Where the fan-out stopped reading the events (one row, locked while it runs)."""

    xid = models.BigIntegerField(default=0)
    event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("webhook fan-out cursor")
        verbose_name_plural = _("webhook fan-out cursors")

    def __str__(self) -> str:
        return f"{self.xid}-{self.event_id}"
