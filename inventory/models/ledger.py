"""The ledger and the balances beside it: ``StockMovement`` (append-only) with its kinds and reason
codes, and ``Balance``, the current stock per site, stock-keeping unit and lot.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from foodbank.append_only import AppendOnlyModel
from foodbank.models import Organisation, Site

from ._common import _lot_constraints, _one_sku
from .catalogue import Item, PackType


class Balance(models.Model):
    """Current stock of one lot (site, item or pack type, best-before date).

    ``on_hand`` is free to hand out or pack; ``reserved`` is committed to a dispatch batch (a parcel
    or a restock shipment) and kept apart until it is packed or released. Both are physically at the
    site: their sum equals the lot's ledger sum. Changed only by ``inventory.services`` under a row
    lock, in the transaction that appends the movements.
    """

    food_bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="balances")
    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, null=True, blank=True, related_name="balances"
    )
    pack_type = models.ForeignKey(
        PackType,
        verbose_name=_("pack type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="balances",
    )
    best_before = models.DateField(_("best before"), null=True, blank=True)
    # The lot's identity beyond item and date (docs/traceability.md); null for stock booked before lots.
    lot = models.ForeignKey(
        "inventory.Lot",
        verbose_name=_("lot"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)

    class Meta:
        verbose_name = _("stock balance")
        verbose_name_plural = _("stock balances")
        ordering = ["site_id", "pack_type_id", "item_id", "best_before"]
        indexes = [
            models.Index(fields=["site", "pack_type"], name="balance_site_pack_type_idx"),
            models.Index(fields=["site", "item"], name="balance_site_item_idx"),
        ]
        constraints = [
            _one_sku("balance"),
            models.CheckConstraint(name="balance_on_hand_not_negative", condition=Q(on_hand__gte=0)),
            models.CheckConstraint(name="balance_reserved_not_negative", condition=Q(reserved__gte=0)),
            # One row per lot; "no best-before" (diapers, gas) and "no lot" are lots of their own.
            *_lot_constraints("balance"),
        ]

    def __str__(self) -> str:
        return f"{self.site} · {self.item or self.pack_type} · {self.best_before or '-'}: {self.on_hand}"

    @property
    def sku(self):
        return self.item or self.pack_type


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", _("Donation received")
    ASSEMBLY_CONSUME = "assembly_consume", _("Used in assembly")
    ASSEMBLY_PRODUCE = "assembly_produce", _("Assembled")
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    HANDOUT = "handout", _("Handout")
    PARCEL_PACKING = "parcel_packing", _("Parcel packing")
    ADJUSTMENT = "adjustment", _("Stock-take adjustment")
    WRITE_OFF = "write_off", _("Write-off")
    CORRECTION = "correction", _("Correction (reversal)")
    QUARANTINE = "quarantine", _("Quarantined (recall)")
    LOT_RELABEL = "lot_relabel", _("Lot relabelled")


class ReasonCode(models.TextChoices):
    COUNT_DIFFERENCE = "count_difference", _("Count difference")
    EXPIRED = "expired", _("Expired")
    DAMAGED = "damaged", _("Damaged")
    RECALLED = "recalled", _("Recalled")
    LOST = "lost", _("Lost")
    FOUND = "found", _("Found")
    ENTRY_ERROR = "entry_error", _("Entry error")
    RETURNED = "returned", _("Returned by the courier")
    OTHER = "other", _("Other")


class StockMovement(AppendOnlyModel):
    """One line of the append-only ledger: a signed change of one lot at one site.

    ``occurred_at`` is when it happened (a window may log a handout late), ``recorded_at`` when it was
    written. Exactly one of the links (receipt, assembly, handout, restock, reservation, stock-take)
    says why, except for stand-alone adjustments and write-offs, which carry a reason code.
    """

    food_bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    pack_type = models.ForeignKey(
        PackType,
        verbose_name=_("pack type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    best_before = models.DateField(_("best before"), null=True, blank=True)
    lot = models.ForeignKey(
        "inventory.Lot",
        verbose_name=_("lot"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    quantity = models.IntegerField(_("quantity"), help_text=_("Positive in, negative out."))
    kind = models.CharField(_("kind"), max_length=20, choices=MovementKind.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=ReasonCode.choices, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True, db_index=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    receipt = models.ForeignKey(
        "DonationReceipt", on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    assembly = models.ForeignKey(
        "Assembly", on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    handout = models.ForeignKey(
        "Handout", on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    restock = models.ForeignKey(
        "RestockShipment", on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    reservation = models.ForeignKey(
        "Reservation", on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    stock_take = models.ForeignKey(
        "StockTake", on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["site", "occurred_at"], name="movement_site_occurred_idx"),
            models.Index(fields=["food_bank", "kind", "occurred_at"], name="movement_kind_occurred_idx"),
        ]
        constraints = [
            _one_sku("movement"),
            models.CheckConstraint(name="movement_quantity_not_zero", condition=~Q(quantity=0)),
            models.CheckConstraint(
                name="movement_adjustment_has_reason",
                condition=~Q(kind__in=["adjustment", "write_off", "correction"]) | ~Q(reason=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity:+d} {self.item or self.pack_type} @ {self.site}"
