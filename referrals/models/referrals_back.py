"""Referrals back to consultation services and their event trail."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from foodbank.crypto import EncryptedTextField
from foodbank.models import Organisation

from ._common import AppendOnly
from .consents import ConsentRecord
from .delivery_requests import DeliveryRequest
from .recipients import Recipient

# Partner kinds a referral may be addressed to (besides consultation windows, which are sites).
REFERRAL_TARGET_KINDS = (
    Organisation.Kind.COMMUNITY_SUPPORT_CENTER,
    Organisation.Kind.DV_SHELTER,
    Organisation.Kind.SOCIAL_WELFARE_COUNCIL,
    Organisation.Kind.INDEPENDENCE_SUPPORT,
    Organisation.Kind.MUNICIPALITY,
    Organisation.Kind.NPO,
)


# What a case worker reads instead of a confidential target's name.
CONFIDENTIAL_TARGET = _("a confidential consultation service")


class Referral(models.Model):
    """A referral of a consenting person back to a consultation window or partner agency.

    ``consent`` is required: the service checks it is a valid referral consent of the same person
    under a row lock, and on PostgreSQL a trigger (migration 0003) refuses any row whose consent
    is not a given, unwithdrawn ``referral`` consent of ``recipient``. Exactly one target: a
    window (``target_site``) or a partner organisation (``target_organisation``).
    """

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        CONTACTED = "contacted", _("Contacted")
        CLOSED = "closed", _("Closed")

    class Source(models.TextChoices):
        DELIVERY_REQUEST = "delivery_request", _("Delivery request")
        NAVI = "navi", _("Navi self-referral")
        HANDOUT = "handout", _("Window handout")
        DIRECT = "direct", _("Recorded directly")

    food_bank = models.ForeignKey(
        Organisation, verbose_name=_("food bank"), on_delete=models.PROTECT, related_name="referrals"
    )
    recipient = models.ForeignKey(
        Recipient, verbose_name=_("person"), on_delete=models.PROTECT, related_name="referrals"
    )
    consent = models.ForeignKey(
        ConsentRecord, verbose_name=_("consent"), on_delete=models.PROTECT, related_name="referrals"
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    delivery_request = models.ForeignKey(
        DeliveryRequest,
        verbose_name=_("delivery request"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
    )
    handout = models.ForeignKey(
        "inventory.Handout",
        verbose_name=_("handout"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    target_site = models.ForeignKey(
        "foodbank.Site",
        verbose_name=_("consultation window"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_received",
    )
    target_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_received",
    )
    # The data categories shared with the target: the consent's, at the time it was sent.
    shared_categories = models.JSONField(_("data shared"), default=list)
    # What the person chose to tell the target about their needs (entered by the coordinator).
    needs = EncryptedTextField(_("needs the person chose to share"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SENT)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sent by"), on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    contacted_on = models.DateField(_("contacted on"), null=True, blank=True)
    contact_outcome = EncryptedTextField(_("outcome of the contact"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    outcome = EncryptedTextField(_("outcome"), blank=True)
    # Set when the person withdrew their consent: the target then sees no personal details.
    consent_withdrawn_at = models.DateTimeField(_("consent withdrawn at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated to the coordinator at"), null=True, blank=True)
    escalation_emailed_at = models.DateTimeField(null=True, blank=True, editable=False)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-sent_at", "-pk"]
        indexes = [
            models.Index(fields=["target_site", "sent_at"], name="referral_site_inbox"),
            models.Index(fields=["target_organisation", "sent_at"], name="referral_org_inbox"),
            models.Index(
                fields=["status", "sent_at"], condition=Q(status="sent"), name="referral_unacknowledged"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="referral_exactly_one_target",
                condition=(Q(target_site__isnull=False) & Q(target_organisation__isnull=True))
                | (Q(target_site__isnull=True) & Q(target_organisation__isnull=False)),
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"RF-{self.pk:06d}" if self.pk else "RF-new"

    @property
    def target(self):
        return self.target_site if self.target_site_id else self.target_organisation

    @property
    def target_label(self) -> str:
        """The target's name as the filing case worker may see it: a confidential window or
        organisation (a DV shelter) is never named outside its own staff and the coordinators
        (docs/privacy.md, Confidential sites)."""
        target = self.target
        if target is None:
            return ""
        confidential = target.is_confidential if self.target_site_id else target.confidential
        return str(CONFIDENTIAL_TARGET) if confidential else target.name

    @property
    def withdrawn(self) -> bool:
        return self.consent_withdrawn_at is not None


class ReferralEvent(AppendOnly):
    """One step of a referral's trail: who, when, what. ``note`` is the target's own note (the
    filing case worker never sees it)."""

    class Kind(models.TextChoices):
        SENT = "sent", _("Sent")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        CONTACTED = "contacted", _("Contacted")
        CLOSED = "closed", _("Closed")
        CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent withdrawn")
        ESCALATED = "escalated", _("Escalated to the coordinator")

    referral = models.ForeignKey(
        Referral, verbose_name=_("referral"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("step"), max_length=32, choices=Kind.choices)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = EncryptedTextField(_("note"), blank=True)
    # As DeliveryRequestEvent.xid: the writing transaction, for the webhooks' commit-safe order.
    xid = models.BigIntegerField(_("transaction id"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("referral event")
        verbose_name_plural = _("referral events")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["xid", "id"], name="referral_event_changes")]

    def __str__(self) -> str:
        return f"{self.referral_id} {self.kind}"
