"""The monthly programme: enrolments."""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from foodbank.models import Organisation

from .recipients import Recipient


class Enrolment(models.Model):
    """A single-parent household enrolled in the monthly parcel programme.

    The monthly job (``referrals.tasks.create_monthly_requests_task``) makes one approved delivery
    request per active enrolment per month; ``(enrolment, programme_month)`` is unique on the
    request, so a second run in the same month creates nothing.
    """

    food_bank = models.ForeignKey(
        Organisation,
        verbose_name=_("food bank"),
        on_delete=models.PROTECT,
        related_name="enrolments",
        limit_choices_to={"kind": Organisation.Kind.FOOD_BANK},
    )
    recipient = models.ForeignKey(
        Recipient, verbose_name=_("recipient"), on_delete=models.PROTECT, related_name="enrolments"
    )
    agency = models.ForeignKey(
        Organisation,
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enrolments_made",
    )
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("enrolled by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    starts_on = models.DateField(_("first month"), help_text=_("The first day of the first month."))
    ends_on = models.DateField(_("last month"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # The request the household was enrolled from: each month's parcel copies its needs (cooking,
    # allergies and allergen codes, dietary needs, extras, days, time slot), never its situation narrative.
    template = models.ForeignKey(
        "DeliveryRequest",
        verbose_name=_("enrolled from request"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("enrolment in the monthly parcel")
        verbose_name_plural = _("enrolments in the monthly parcel")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient"], condition=Q(active=True), name="enrolment_one_active_per_recipient"
            ),
        ]

    def __str__(self) -> str:
        return f"enrolment #{self.pk}"

    def covers(self, month: date) -> bool:
        return self.active and self.starts_on <= month and (self.ends_on is None or month <= self.ends_on)
