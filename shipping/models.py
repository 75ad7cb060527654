"""Shipping rows: carrier accounts, parcels (one per delivery, of one or more boxes) and their
events, pantry shipments, dispatch batches built in chunks, and the batch's documents
(docs/spec.md §3.4, §4.1).

A parcel is a snapshot taken at booking: the recipient's name and address are copied, so a later
change to the person does not change a label already printed. The phone number is encrypted.
"""

from datetime import datetime, time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from foodbank.append_only import AppendOnlyModel
from foodbank.crypto import EncryptedJSONField, EncryptedTextField
from foodbank.models import Organisation
from inventory import allergens

from .carriers import CarrierAccount as CarrierAccountData
from .carriers import ContentLine, PackingNotes, ParcelData, SenderData, carrier_choices

FOOD_BANK_ONLY = {"kind": Organisation.Kind.FOOD_BANK}
# What a neighbour reads on the box: never the food bank's name (docs/spec.md §5).
NEUTRAL_SENDER_NAME = "物流センター"
FORBIDDEN_SENDER_WORDS = ("フードバンク", "ﾌｰﾄﾞﾊﾞﾝｸ", "food bank", "foodbank")


class CarrierAccount(models.Model):
    """One account with one carrier: its codes, the sender block, the cutoff and pickup days, and
    which kinds of parcel it carries (requests to households, restocks to windows, pantry boxes)."""

    food_bank = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", limit_choices_to=FOOD_BANK_ONLY
    )
    name = models.CharField(_("name"), max_length=100)
    carrier = models.CharField(_("carrier"), max_length=16, choices=carrier_choices())
    billing_customer_code = models.CharField(_("請求先顧客コード"), max_length=12, blank=True)
    billing_class_code = models.CharField(_("請求先分類コード"), max_length=3, blank=True)
    freight_number = models.CharField(_("運賃管理番号"), max_length=2, blank=True)
    sender_name = models.CharField(
        _("sender name"),
        max_length=32,
        default=NEUTRAL_SENDER_NAME,
        help_text=_("Printed on every box: a neutral name, never the food bank's."),
    )
    sender_name_kana = models.CharField(_("sender name (kana)"), max_length=50, blank=True)
    sender_phone = models.CharField(_("sender phone"), max_length=15, blank=True)
    sender_postal_code = models.CharField(_("sender postal code"), max_length=8, blank=True)
    sender_address = models.CharField(_("sender address"), max_length=64, blank=True)
    sender_building = models.CharField(_("sender building"), max_length=32, blank=True)
    default_item_name = models.CharField(_("default item name"), max_length=25, default="食品")
    cutoff = models.TimeField(
        _("cutoff"), null=True, blank=True, help_text=_("Asia/Tokyo; blank: the system's default (15:00).")
    )
    pickup_weekdays = models.CharField(
        _("pickup weekdays"), max_length=7, default="01234", help_text=_("Digits, Monday is 0.")
    )
    takes_requests = models.BooleanField(_("carries delivery requests"), default=True)
    takes_restocks = models.BooleanField(_("carries restock shipments"), default=False)
    takes_pantry = models.BooleanField(_("carries pantry shipments"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("carrier account")
        verbose_name_plural = _("carrier accounts")
        ordering = ["food_bank_id", "pk"]
        constraints = [models.UniqueConstraint(fields=["food_bank", "name"], name="carrier_account_name")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        lowered = self.sender_name.lower()
        if any(word.lower() in lowered for word in FORBIDDEN_SENDER_WORDS):
            raise ValidationError({"sender_name": _("Use a neutral sender name, not the food bank's.")})
        if not self.pickup_weekdays or any(c not in "0123456" for c in self.pickup_weekdays):
            raise ValidationError({"pickup_weekdays": _("Digits 0 (Monday) to 6 (Sunday).")})

    @property
    def cutoff_time(self) -> time:
        return self.cutoff or settings.DISPATCH_CUTOFF

    @property
    def weekdays(self) -> frozenset[int]:
        return frozenset(int(c) for c in self.pickup_weekdays if c.isdigit())

    def cutoff_on(self, day) -> datetime:
        return datetime.combine(day, self.cutoff_time, tzinfo=timezone.get_current_timezone())

    def as_data(self) -> CarrierAccountData:
        return CarrierAccountData(
            carrier=self.carrier,
            sender=SenderData(
                name=self.sender_name,
                phone=self.sender_phone,
                postal_code=self.sender_postal_code,
                address=self.sender_address,
                building=self.sender_building,
                name_kana=self.sender_name_kana,
            ),
            billing_customer_code=self.billing_customer_code,
            billing_class_code=self.billing_class_code,
            freight_number=self.freight_number,
            cutoff=self.cutoff_time,
            pickup_weekdays=self.weekdays,
            default_item_name=self.default_item_name,
        )


class PantryShipment(models.Model):
    """A bulk box of sets for a partner group (children's cafeteria, welfare facility), made by a
    coordinator; the next batch of an account that carries pantry shipments books it as a parcel."""

    class Status(models.TextChoices):
        APPROVED = "approved", _("Approved")
        BOOKED = "booked", _("Booked")
        PACKED = "packed", _("Packed")
        CANCELLED = "cancelled", _("Cancelled")

    food_bank = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", limit_choices_to=FOOD_BANK_ONLY
    )
    partner = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="pantry_shipments",
        limit_choices_to={"kind": Organisation.Kind.PANTRY_GROUP},
    )
    pack_type = models.ForeignKey("inventory.PackType", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("sets"))
    contact_name = models.CharField(_("contact name"), max_length=64)
    phone = models.CharField(_("phone"), max_length=15, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=7)
    address = models.CharField(_("address"), max_length=200)
    building = models.CharField(_("building"), max_length=200, blank=True)
    note = models.CharField(_("packing note"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.APPROVED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("pantry shipment")
        verbose_name_plural = _("pantry shipments")
        ordering = ["pk"]
        constraints = [models.CheckConstraint(name="pantry_quantity_positive", condition=Q(quantity__gte=1))]

    def __str__(self) -> str:
        return f"{self.partner} × {self.quantity}"


class DispatchBatch(models.Model):
    """The parcels one carrier account takes on one ship date. ``(account, ship_date)`` is unique:
    two beat processes, or beat and a coordinator, still make one batch."""

    class Status(models.TextChoices):
        PLANNING = "planning", _("Gathering parcels")
        BUILDING = "building", _("Reserving stock")
        DOCUMENTS = "documents", _("Writing documents")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    food_bank = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", limit_choices_to=FOOD_BANK_ONLY
    )
    account = models.ForeignKey(CarrierAccount, on_delete=models.PROTECT, related_name="batches")
    ship_date = models.DateField(_("ship date"))
    cutoff_at = models.DateTimeField(_("cutoff"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PLANNING)
    chunk_size = models.PositiveIntegerField(default=500)
    chunk_count = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    documents_wanted = models.PositiveIntegerField(default=0)
    documents_done = models.PositiveIntegerField(default=0)
    # Bumped when the documents must be written again (a parcel voided): a document task stores its
    # file only if the generation it read its parcels under is still the batch's.
    documents_generation = models.PositiveIntegerField(default=0)
    parcel_count = models.PositiveIntegerField(default=0)
    # [{"reference", "problems": [{field, code, message, severity}]}]: not in the carrier file.
    held_back = models.JSONField(default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("dispatch batch")
        verbose_name_plural = _("dispatch batches")
        ordering = ["-ship_date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["account", "ship_date"], name="dispatch_batch_account_day")
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"B{self.pk}-{self.ship_date:%Y%m%d}"

    @property
    def progress(self) -> int:
        """0–100: gathering is the first 10 %, reserving stock up to 60 %, documents the rest."""
        if self.status == self.Status.READY:
            return 100
        if self.status == self.Status.PLANNING:
            return 0
        chunks = self.chunks_done / self.chunk_count if self.chunk_count else 1
        docs = self.documents_done / self.documents_wanted if self.documents_wanted else 0
        return min(99, int(10 + 50 * chunks + 40 * docs))


class BatchChunk(models.Model):
    """A slice of a batch's parcels built by one task; ``done_at`` makes re-running it a no-op."""

    batch = models.ForeignKey(DispatchBatch, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch_id", "index"]
        constraints = [models.UniqueConstraint(fields=["batch", "index"], name="batch_chunk_index")]

    def __str__(self) -> str:
        return f"{self.batch_id}/{self.index}"


class Parcel(models.Model):
    """One delivery of ``boxes`` boxes: a snapshot of recipient and address taken at booking, a
    unique reference (お客様管理番号), packing notes, and its way from booked to delivered (or void)."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        BATCHED = "batched", _("Batched")
        PACKED = "packed", _("Packed")
        LABEL_ISSUED = "label_issued", _("Label issued")
        HANDED_OVER = "handed_over", _("Handed over")
        DELIVERED = "delivered", _("Delivered")
        RETURNED = "returned", _("Returned")
        VOID = "void", _("Void")

    class Source(models.TextChoices):
        DELIVERY_REQUEST = "delivery_request", _("Delivery request")
        RECURRING = "recurring", _("Monthly parcel")
        RESTOCK = "restock", _("Restock shipment")
        PANTRY = "pantry", _("Pantry shipment")

    class VoidReason(models.TextChoices):
        """Why a coordinator voids a parcel; decides what happens to what it was made for."""

        REBOOK = "rebook", _("Remake it in the next batch (damaged box, label or address error)")
        CANCEL = "cancel", _("Not needed any more (cancel the request or shipment)")

    food_bank = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", limit_choices_to=FOOD_BANK_ONLY
    )
    account = models.ForeignKey(CarrierAccount, on_delete=models.PROTECT, related_name="parcels")
    batch = models.ForeignKey(  # parcel_batch_chunk starts with it
        DispatchBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="parcels", db_index=False
    )
    chunk = models.PositiveIntegerField(default=0)
    reference = models.CharField(_("reference (お客様管理番号)"), max_length=50)  # unique: Meta
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    # "request:12", "restock:3", "pantry:7": one live parcel per source (constraint below).
    source_key = models.CharField(max_length=40)
    delivery_request = models.ForeignKey(
        "referrals.DeliveryRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    restock = models.ForeignKey(
        "inventory.RestockShipment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # parcel_restock (partial)
    )
    pantry = models.ForeignKey(
        PantryShipment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parcels",
        db_index=False,  # parcel_pantry (partial)
    )
    recipient_name = models.CharField(_("recipient"), max_length=64)
    recipient_name_kana = models.CharField(max_length=64, blank=True)
    recipient_company = models.CharField(max_length=100, blank=True)
    recipient_phone = EncryptedTextField(blank=True)
    postal_code = models.CharField(_("postal code"), max_length=8, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    building = models.CharField(_("building"), max_length=200, blank=True)
    service_code = models.CharField(_("service (送り状種類)"), max_length=2, default="0")
    # A household's food may fill several boxes (inventory.sizing): one parcel, one label and one
    # carrier row per box (B2: 送り状種類 6 under one 複数口くくりキー, docs/shipping-b2.md).
    boxes = models.PositiveSmallIntegerField(_("boxes"), default=1)
    time_slot = models.CharField(_("time slot"), max_length=4, blank=True)
    ship_date = models.DateField(_("ship date"))
    delivery_date = models.DateField(_("promised delivery date"), null=True, blank=True)
    item_names = models.JSONField(default=list, blank=True)
    # {"contents": [{name, quantity, pack_type, code}], "extras": [...], "allergies", "no_cook", "notes"}:
    # encrypted, as it copies the request's allergies and dietary needs (encrypted there too).
    packing = EncryptedJSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.BOOKED)
    stock_needs = models.JSONField(default=list, blank=True)  # [[pack_type_id, quantity]] to reserve
    stock_reserved = models.BooleanField(default=False)
    stock_problem = models.JSONField(default=list, blank=True)  # shortages when reserving failed
    # NULL until the label is issued (unique: Meta; many parcels have none, so not "").
    tracking_number = models.CharField(_("tracking number"), max_length=20, null=True, blank=True)  # noqa: DJ001
    # Every box's number, box 1 first, when the parcel has several boxes (``tracking_number`` is
    # box 1's, set once every box has one); [] for a one-box parcel.
    box_numbers = models.JSONField(default=list, blank=True)
    packed_at = models.DateTimeField(null=True, blank=True)
    packed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # parcel_packed_by (partial)
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("parcel")
        verbose_name_plural = _("parcels")
        ordering = ["pk"]
        # A batch inserts 10,000 parcels and moves each through several statuses: every index is
        # written each time. Unique constraints instead of unique=True (no varchar_pattern_ops twin:
        # references and tracking numbers are looked up exactly); foreign keys that are mostly empty
        # get partial indexes; the batch is the first column of parcel_batch_chunk.
        constraints = [
            models.UniqueConstraint(fields=["reference"], name="parcel_reference_unique"),
            models.UniqueConstraint(fields=["tracking_number"], name="parcel_tracking_number_unique"),
            models.UniqueConstraint(
                fields=["source_key"], condition=~Q(status="void"), name="parcel_one_live_per_source"
            ),
        ]
        indexes = [
            models.Index(fields=["batch", "chunk", "status"], name="parcel_batch_chunk"),
            models.Index(fields=["restock"], condition=Q(restock__isnull=False), name="parcel_restock"),
            models.Index(fields=["pantry"], condition=Q(pantry__isnull=False), name="parcel_pantry"),
            models.Index(fields=["packed_by"], condition=Q(packed_by__isnull=False), name="parcel_packed_by"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reservation_reference(self) -> str:
        return f"parcel:{self.reference}"

    @property
    def allergy_note(self) -> str:
        """The household's allergies as the packer reads them (``inventory.allergens.for_packer``)."""
        packing = self.packing or {}
        return allergens.for_packer(packing.get("allergens"), packing.get("allergies"))

    def as_data(self) -> ParcelData:
        packing = self.packing or {}

        def lines(key):
            return tuple(ContentLine(**line) for line in packing.get(key, ()))

        return ParcelData(
            reference=self.reference,
            ship_date=self.ship_date,
            recipient_name=self.recipient_name,
            recipient_phone=self.recipient_phone,
            recipient_postal_code=self.postal_code,
            recipient_address=self.address,
            recipient_building=self.building,
            recipient_name_kana=self.recipient_name_kana,
            recipient_company=self.recipient_company,
            item_names=tuple(self.item_names or ()),
            time_slot=self.time_slot,
            delivery_date=self.delivery_date,
            count=self.boxes,
            notes=PackingNotes(
                contents=lines("contents"),
                extras=lines("extras"),
                allergies=self.allergy_note,
                no_cook=bool(packing.get("no_cook")),
                notes=tuple(packing.get("notes", ())),
            ),
        )


class ParcelEvent(AppendOnlyModel):
    """Append-only history of a parcel."""

    parcel = models.ForeignKey(Parcel, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    # On the packing event only: the packer confirmed the packages are intact and in date (null on
    # other events; docs/traceability.md).
    condition_checked = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["parcel_id", "pk"]

    def __str__(self) -> str:
        return f"{self.parcel_id}: {self.from_status} → {self.to_status}"


class BatchDocument(models.Model):
    """A file of a batch in default storage (FILE_STORAGE: MEDIA_ROOT or the database, docs/storage.md);
    one per (batch, kind)."""

    class Kind(models.TextChoices):
        PICK_LIST = "pick_list", _("Pick list")
        PACKING_SLIPS = "packing_slips", _("Packing slips")
        LABELS = "labels", _("Address labels")
        CARRIER_CSV = "carrier_csv", _("Carrier CSV (B2 Cloud)")
        MANIFEST = "manifest", _("Hand-over manifest")

    batch = models.ForeignKey(DispatchBatch, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    file = models.FileField(upload_to="shipping/batches/")
    media_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["batch_id", "kind"]
        constraints = [models.UniqueConstraint(fields=["batch", "kind"], name="batch_document_kind")]

    def __str__(self) -> str:
        return f"{self.batch_id} {self.kind}"
