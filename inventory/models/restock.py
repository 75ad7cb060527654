"""Restocking a window: its par level per pack type (what it keeps on hand), and restock shipments
from a warehouse with their lines.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from foodbank.models import Organisation, Site

from .catalogue import PackType


class ParLevel(models.Model):
    """How many sets of a pack type a window should hold. The nightly job may raise it for a holiday
    peak (``seasonal_par`` until ``seasonal_until``) from the previous year's handouts."""

    food_bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(
        Site, verbose_name=_("window"), on_delete=models.PROTECT, related_name="par_levels"
    )
    pack_type = models.ForeignKey(PackType, verbose_name=_("pack type"), on_delete=models.PROTECT)
    par = models.PositiveIntegerField(_("par level"))
    seasonal_par = models.PositiveIntegerField(_("holiday par level"), null=True, blank=True)
    seasonal_until = models.DateField(_("holiday par until"), null=True, blank=True)
    seasonal_label = models.CharField(_("holiday"), max_length=32, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("par level")
        verbose_name_plural = _("par levels")
        ordering = ["site_id", "pack_type_id"]
        constraints = [
            models.UniqueConstraint(fields=["site", "pack_type"], name="par_level_unique_site_pack_type"),
        ]

    def __str__(self) -> str:
        return f"{self.site} · {self.pack_type}: {self.par}"

    def effective_on(self, day) -> int:
        """The par that applies on ``day``: the holiday par while it lasts, if higher."""
        if self.seasonal_par is not None and self.seasonal_until and day <= self.seasonal_until:
            return max(self.par, self.seasonal_par)
        return self.par


class RestockShipment(models.Model):
    """Sets sent from the warehouse to a window.

    requested (by the window) or proposed (by the nightly job) → approved (coordinator) → booked
    (the shipping app put it into a dispatch batch; warehouse stock is reserved) → packed (left the
    warehouse: transfer_out; in transit) → received (the window confirmed: transfer_in).
    Cancelled is possible until packed.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        BOOKED = "booked", _("Booked for dispatch")
        PACKED = "packed", _("In transit")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN = (Status.PROPOSED, Status.REQUESTED, Status.APPROVED, Status.BOOKED, Status.PACKED)

    class Origin(models.TextChoices):
        WINDOW = "window", _("Window request")
        NIGHTLY = "nightly", _("Nightly proposal")
        COORDINATOR = "coordinator", _("Coordinator")

    food_bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    from_site = models.ForeignKey(Site, verbose_name=_("from"), on_delete=models.PROTECT, related_name="+")
    to_site = models.ForeignKey(
        Site, verbose_name=_("to window"), on_delete=models.PROTECT, related_name="restock_shipments"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    origin = models.CharField(_("origin"), max_length=16, choices=Origin.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    # Set by the shipping app when it books the shipment into a dispatch batch (opaque here).
    dispatch_reference = models.CharField(_("dispatch reference"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    booked_at = models.DateTimeField(_("booked at"), null=True, blank=True)
    packed_at = models.DateTimeField(_("packed at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("restock shipment")
        verbose_name_plural = _("restock shipments")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["food_bank", "status"], name="restock_fb_status_idx")]
        constraints = [
            # The nightly job keeps at most one open proposal per window, and updates it in place.
            models.UniqueConstraint(
                fields=["to_site"], condition=Q(status="proposed"), name="restock_one_proposal_per_window"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} → {self.to_site} ({self.get_status_display()})"

    @property
    def reservation_reference(self) -> str:
        return f"restock:{self.pk}"


class RestockLine(models.Model):
    shipment = models.ForeignKey(RestockShipment, on_delete=models.CASCADE, related_name="lines")
    pack_type = models.ForeignKey(PackType, verbose_name=_("pack type"), on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        verbose_name = _("restock line")
        verbose_name_plural = _("restock lines")
        ordering = ["shipment_id", "pack_type_id"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "pack_type"], name="restock_line_unique_pack_type"),
            models.CheckConstraint(name="restock_line_quantity_positive", condition=Q(quantity__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.pack_type} × {self.quantity}"
