"""Feedback from recipients."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from foodbank.crypto import EncryptedTextField
from foodbank.models import Organisation

from .recipients import Recipient


class Feedback(models.Model):
    """A message from a recipient. Only ``may_be_published`` messages ever leave the coordinator's
    own page (exports, reports, other pages); private ones stay private."""

    food_bank = models.ForeignKey(
        Organisation, verbose_name=_("food bank"), on_delete=models.PROTECT, related_name="feedback"
    )
    recipient = models.ForeignKey(
        Recipient,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="feedback",
    )
    message = EncryptedTextField(_("message"))
    may_be_published = models.BooleanField(_("may be published"), default=False)
    received_on = models.DateField(_("received on"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-received_on", "-pk"]

    def __str__(self) -> str:
        return f"feedback #{self.pk}"
