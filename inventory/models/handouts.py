"""Handouts at a window, their lines and the household type recorded with them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from foodbank.crypto import EncryptedTextField
from foodbank.models import HouseholdType, Organisation, Site

from .catalogue import PackType


class HandoutHouseholdType(models.TextChoices):
    """Household type of a handout: the shared codes plus ``unknown`` (not asked, not told), the
    default, because a tap must not invent a household. Reports count it as its own category."""

    UNKNOWN = "unknown", _("Not recorded")
    SINGLE = HouseholdType.SINGLE.value, HouseholdType.SINGLE.label
    SINGLE_PARENT = HouseholdType.SINGLE_PARENT.value, HouseholdType.SINGLE_PARENT.label
    COUPLE = HouseholdType.COUPLE.value, HouseholdType.COUPLE.label
    FAMILY = HouseholdType.FAMILY.value, HouseholdType.FAMILY.label
    ELDERLY = HouseholdType.ELDERLY.value, HouseholdType.ELDERLY.label
    OTHER = HouseholdType.OTHER.value, HouseholdType.OTHER.label


class Handout(models.Model):
    """Sets handed over at a window. No name: a handout is anonymous (docs/spec.md §3.3)."""

    food_bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(
        Site, verbose_name=_("window"), on_delete=models.PROTECT, related_name="handouts"
    )
    # Null and ``unknown``: not recorded (the form's default; a tap must not invent a household).
    household_size = models.PositiveSmallIntegerField(_("household size"), null=True, blank=True)
    household_type = models.CharField(
        _("household type"),
        max_length=16,
        choices=HandoutHouseholdType.choices,
        default=HandoutHouseholdType.UNKNOWN,
    )
    # Consent to be referred to a consultation service; the referrals app acts on it.
    referral_consent = models.BooleanField(_("consents to a referral"), default=False)
    # The staff member confirmed the sets are intact and in date (one tick, on by default). False
    # means "not checked": the handout is still recorded, and the recall trail shows it
    # (docs/traceability.md). Null: logged before the check existed.
    condition_checked = models.BooleanField(_("condition checked"), null=True, default=True)
    # Free text written about a person in crisis: encrypted at rest.
    note = EncryptedTextField(_("note"), blank=True)
    occurred_at = models.DateTimeField(_("handed out at"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    # A handout logged by mistake is voided: reversing movements put the sets back.
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("handout")
        verbose_name_plural = _("handouts")
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["site", "-occurred_at"], name="handout_site_occurred_idx"),
            models.Index(fields=["food_bank", "occurred_at"], name="handout_fb_occurred_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                name="handout_household_size_positive", condition=Q(household_size__gte=1)
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.site} {self.occurred_at:%Y-%m-%d %H:%M}"


class HandoutLine(models.Model):
    handout = models.ForeignKey(Handout, on_delete=models.CASCADE, related_name="lines")
    pack_type = models.ForeignKey(PackType, verbose_name=_("pack type"), on_delete=models.PROTECT)
    quantity = models.PositiveSmallIntegerField(_("quantity"))

    class Meta:
        verbose_name = _("handout line")
        verbose_name_plural = _("handout lines")
        ordering = ["handout_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["handout", "pack_type"], name="handout_line_unique_pack_type"),
            models.CheckConstraint(name="handout_line_quantity_positive", condition=Q(quantity__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.pack_type} × {self.quantity}"
