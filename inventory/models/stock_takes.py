"""Stock-takes: a count and its lines, confirmed by another person."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from foodbank.models import Organisation, Site

from ._common import _one_sku
from .catalogue import Item, PackType
from .ledger import ReasonCode


class StockTake(models.Model):
    """A count of a site's stock by one person, confirmed by another; confirming books the
    differences as adjustments (with each line's reason)."""

    class Status(models.TextChoices):
        COUNTED = "counted", _("Counted, awaiting confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")

    food_bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.COUNTED)
    note = models.CharField(_("note"), max_length=300, blank=True)
    counted_at = models.DateTimeField(_("counted at"))
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("counted by"), on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("stock-take")
        verbose_name_plural = _("stock-takes")
        ordering = ["-counted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="stock_take_four_eyes",
                condition=Q(confirmed_by__isnull=True) | ~Q(confirmed_by=models.F("counted_by")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site} {self.counted_at:%Y-%m-%d} ({self.get_status_display()})"


class StockTakeLine(models.Model):
    """A counted lot. ``expected`` is the ledger's quantity (on hand + reserved) when it was counted;
    the difference ``counted - expected`` is what confirming books."""

    stock_take = models.ForeignKey(StockTake, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    pack_type = models.ForeignKey(PackType, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    best_before = models.DateField(_("best before"), null=True, blank=True)
    lot = models.ForeignKey(
        "inventory.Lot",
        verbose_name=_("lot"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    expected = models.IntegerField(_("expected"))
    counted = models.PositiveIntegerField(_("counted"))
    reason = models.CharField(_("reason"), max_length=20, choices=ReasonCode.choices, blank=True)

    class Meta:
        ordering = ["stock_take_id", "pk"]
        constraints = [_one_sku("stock_take_line")]

    def __str__(self) -> str:
        return f"{self.item or self.pack_type} {self.best_before or '-'}: {self.counted} ({self.expected})"

    @property
    def difference(self) -> int:
        return self.counted - self.expected
