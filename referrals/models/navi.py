"""Navi intake: a self-referral's structured answers."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from foodbank.crypto import EncryptedTextField
from foodbank.models import HouseholdType, Organisation

from .delivery_requests import DeliveryRequest


class NaviApplication(models.Model):
    """A self-referral through Support Information Navi: the answers the network reports on.

    The parcel itself is the linked ``DeliveryRequest`` (source ``navi``), triaged like any other.
    """

    food_bank = models.ForeignKey(
        Organisation, verbose_name=_("food bank"), on_delete=models.PROTECT, related_name="navi_applications"
    )
    delivery_request = models.OneToOneField(
        DeliveryRequest,
        verbose_name=_("delivery request"),
        on_delete=models.PROTECT,
        related_name="navi_application",
    )
    application_id = models.CharField(_("Navi application id"), max_length=64)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    household_type = models.CharField(_("household type"), max_length=16, choices=HouseholdType.choices)
    lost_income = models.BooleanField(_("lost income"), default=False)
    lost_job = models.BooleanField(_("lost job"), default=False)
    has_debts = models.BooleanField(_("has debts"), default=False)
    debts_note = EncryptedTextField(_("debts"), blank=True)
    first_time_at_food_bank = models.BooleanField(_("first time at a food bank"), null=True)
    has_someone_to_consult = models.BooleanField(_("has someone to consult"), null=True)
    wants_referral = models.BooleanField(_("wants details passed to a support agency"), default=False)

    class Meta:
        verbose_name = _("Navi self-referral")
        verbose_name_plural = _("Navi self-referrals")
        constraints = [
            models.UniqueConstraint(fields=["food_bank", "application_id"], name="navi_application_unique"),
        ]

    def __str__(self) -> str:
        return self.application_id
