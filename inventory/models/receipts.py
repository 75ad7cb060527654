"""Donations in: a donation receipt and its lines."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from foodbank.models import Organisation, Site

from ..lot_models import DateLabel, StorageClass
from .catalogue import Item


class DonationReceipt(models.Model):
    """Food donated in: who gave it (by donor type), how heavy, which items with which best-before."""

    class DonorType(models.TextChoices):
        COMPANY = "company", _("Company")
        FARM = "farm", _("Farm")
        RETAILER = "retailer", _("Retailer")
        STOCKPILE = "stockpile", _("Public stockpile (備蓄品)")
        INDIVIDUAL = "individual", _("Individual")
        FOOD_DRIVE = "food_drive", _("Food drive")

    food_bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, verbose_name=_("received at"), on_delete=models.PROTECT, related_name="+")
    donor_type = models.CharField(_("donor type"), max_length=16, choices=DonorType.choices)
    # The registered donor (docs/traceability.md); receipts from before the registry name none.
    donor = models.ForeignKey(
        "inventory.Donor",
        verbose_name=_("donor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receipts",
    )
    # A company's or farm's name; left blank for private individuals (not needed, not kept).
    donor_name = models.CharField(_("donor"), max_length=200, blank=True)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=10, decimal_places=2)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    received_at = models.DateTimeField(_("received at"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Set when the ledger movements were written (receipts added in the admin are booked on save).
    booked_at = models.DateTimeField(_("booked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("donation receipt")
        verbose_name_plural = _("donation receipts")
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["food_bank", "received_at"], name="receipt_fb_received_idx")]
        constraints = [
            models.CheckConstraint(name="receipt_weight_not_negative", condition=Q(weight_kg__gte=0)),
            models.UniqueConstraint(
                fields=["food_bank", "reference"], condition=~Q(reference=""), name="receipt_reference_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_donor_type_display()} {self.weight_kg} kg ({self.received_at:%Y-%m-%d})"


class DonationReceiptLine(models.Model):
    """One donated product as inspected at intake (食品寄附ガイドライン). An accepted line is a lot
    (``lot``); a rejected one never enters stock."""

    class Condition(models.TextChoices):
        GOOD = "good", _("Good")
        OUTER_DAMAGE = "outer_damage", _("Outer box damaged, contents intact")
        DAMAGED = "damaged", _("Package damaged")

    class RejectReason(models.TextChoices):
        EXPIRED = "expired", _("Date passed or too close")
        DAMAGED = "damaged", _("Package damaged")
        TEMPERATURE = "temperature", _("Temperature not kept")
        UNLABELLED = "unlabelled", _("Label missing or unreadable")
        RECALLED = "recalled", _("Recalled by the maker")
        OTHER = "other", _("Other")

    receipt = models.ForeignKey(DonationReceipt, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    best_before = models.DateField(_("date on the label"), null=True, blank=True)
    # Intake inspection (docs/traceability.md).
    product_name = models.CharField(_("product"), max_length=200, blank=True)
    jan_code = models.CharField(_("JAN code"), max_length=14, blank=True)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=10, decimal_places=3, null=True, blank=True)
    date_label = models.CharField(
        _("date label"), max_length=16, choices=DateLabel.choices, default=DateLabel.BEST_BEFORE
    )
    storage = models.CharField(
        _("storage"), max_length=16, choices=StorageClass.choices, default=StorageClass.AMBIENT
    )
    allergens = models.JSONField(_("allergens"), default=list, blank=True)
    condition = models.CharField(
        _("condition"), max_length=16, choices=Condition.choices, default=Condition.GOOD
    )
    accepted = models.BooleanField(_("accepted"), default=True)
    reject_reason = models.CharField(
        _("reason for rejection"), max_length=16, choices=RejectReason.choices, blank=True
    )
    reject_note = models.CharField(_("note"), max_length=300, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("receipt line")
        verbose_name_plural = _("receipt lines")
        ordering = ["receipt_id", "pk"]
        constraints = [
            models.CheckConstraint(name="receipt_line_quantity_positive", condition=Q(quantity__gte=1)),
            models.CheckConstraint(
                name="receipt_line_rejection_has_reason", condition=Q(accepted=True) | ~Q(reject_reason="")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} × {self.quantity}"
