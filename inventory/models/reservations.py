"""Reservations: stock set apart at a site for one dispatch, lot by lot."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from foodbank.models import Organisation, Site

from ._common import _one_sku
from .catalogue import Item, PackType


class Reservation(models.Model):
    """Stock set apart at a site for one dispatch (a parcel, a restock shipment), by reference.

    active → consumed (packed: the stock left) or released (voided, cancelled).
    """

    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        CONSUMED = "consumed", _("Consumed")
        RELEASED = "released", _("Released")

    food_bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(_("reference"), max_length=100, unique=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.ACTIVE)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.reference} ({self.get_state_display()})"


class ReservationLine(models.Model):
    """One lot set apart (FEFO). For a packed restock these are the lots in transit."""

    reservation = models.ForeignKey(Reservation, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    pack_type = models.ForeignKey(PackType, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    best_before = models.DateField(null=True, blank=True)
    lot = models.ForeignKey(
        "inventory.Lot", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["reservation_id", "pk"]
        constraints = [
            _one_sku("reservation_line"),
            models.CheckConstraint(name="reservation_line_quantity_positive", condition=Q(quantity__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.item or self.pack_type} × {self.quantity} ({self.best_before or '-'})"
