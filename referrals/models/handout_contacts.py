"""The contact behind a window handout: the person who asked to be referred."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .recipients import Recipient


class HandoutContact(models.Model):
    """The person behind an (otherwise anonymous) window handout who asked to be referred and gave
    a name and contact. ``inventory`` owns the handout; this table links it to the recipient and
    the consent the window staff recorded (``referrals.services.record_handout_contact``)."""

    handout = models.OneToOneField(
        "inventory.Handout", verbose_name=_("handout"), on_delete=models.PROTECT, related_name="contact"
    )
    recipient = models.ForeignKey(
        Recipient, verbose_name=_("person"), on_delete=models.PROTECT, related_name="handout_contacts"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("handout contact")
        verbose_name_plural = _("handout contacts")

    def __str__(self) -> str:
        return f"contact for handout #{self.handout_id}"
