"""Rows of the coordinators' console: staff invitations and the trail of corrections to a person's
data (docs/console.md).

Network objects themselves (organisations, sites, carrier accounts, pack types) belong to the apps
that own them; the console changes them through those apps' services and records each change in the
audit log.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from foodbank.models import Organisation


class Invitation(models.Model):
    """A one-time link that lets a new staff member set their own password.

    Only the SHA-256 of the link's secret is stored (the secret is 256 random bits, so an unsalted
    hash is enough); the link itself exists only in the email. It works once (``accepted_at``), until
    ``expires_at``, and not after a newer invitation for the same user (``superseded_at``).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="invitations"
    )
    food_bank = models.ForeignKey(
        Organisation, verbose_name=_("food bank"), on_delete=models.PROTECT, related_name="+"
    )
    email = models.EmailField(_("email"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("invited by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(accepted_at__isnull=True, superseded_at__isnull=True),
                name="invitation_one_open_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"invitation #{self.pk}"


class PersonCorrection(models.Model):
    """One correction of a person's data (their right under APPI art. 34): which fields, why, who,
    when. The trail names fields, never their old or new values. Append-only."""

    food_bank = models.ForeignKey(
        Organisation, verbose_name=_("food bank"), on_delete=models.PROTECT, related_name="+"
    )
    recipient = models.ForeignKey(
        "referrals.Recipient", verbose_name=_("person"), on_delete=models.PROTECT, related_name="corrections"
    )
    fields = models.JSONField(_("fields corrected"), default=list)
    reason = models.CharField(_("reason"), max_length=300)
    requested_by_person = models.BooleanField(_("asked for by the person"), default=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("corrected by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("correction of a person's data")
        verbose_name_plural = _("corrections of a person's data")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"correction #{self.pk}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("PersonCorrection rows are append-only.")
        super().save(*args, **kwargs)
