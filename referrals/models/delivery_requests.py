"""Delivery requests, their event trail and the case-worker emails it causes."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from foodbank.crypto import EncryptedJSONField, EncryptedTextField
from foodbank.models import Organisation
from inventory import allergens as allergen_codes

from ._common import AppendOnly
from .programme import Enrolment
from .recipients import Recipient


class SituationCategory(models.TextChoices):
    WELFARE_PENDING = "welfare_pending", _("Welfare applied for, payment pending")
    WAGE_GAP = "wage_gap", _("Until the next pay day")
    PENSION_GAP = "pension_gap", _("Until the next pension day")
    JOB_LOSS = "job_loss", _("Job loss")
    DEBT = "debt", _("Debt")
    ILLNESS = "illness", _("Illness")
    DISASTER = "disaster", _("Disaster")
    OTHER = "other", _("Other")


class TimeSlot(models.TextChoices):
    """Yamato's delivery time slots (配達時間帯), the codes B2 Cloud takes."""

    NONE = "", _("No preference")
    MORNING = "0812", _("Morning (8–12)")
    AFTERNOON_1 = "1416", _("14–16")
    AFTERNOON_2 = "1618", _("16–18")
    EVENING_1 = "1820", _("18–20")
    EVENING_2 = "1921", _("19–21")


class ExtraItem(models.TextChoices):
    DIAPERS = "diapers", _("Diapers")
    FORMULA = "formula", _("Formula milk")
    GAS_CANISTER = "gas_canister", _("Gas canisters")
    HYGIENE = "hygiene", _("Hygiene goods")
    OTHER = "other", _("Other")


class DiaperSize(models.TextChoices):
    NEWBORN = "newborn", _("Newborn")
    S = "S", "S"
    M = "M", "M"
    L = "L", "L"
    XL = "XL", _("XL (Big)")
    XXL = "XXL", _("XXL (bigger than Big)")


# The six kinds of cooking equipment a recipient may be able to use (field names on DeliveryRequest).
COOKING_KEYS = ("gas", "electricity", "water", "microwave", "kettle", "portable_stove")


class DeliveryRequest(models.Model):
    """A request for a home-delivered parcel, from an agency, the Navi or the monthly programme.

    Status changes only through ``referrals.services`` (under a row lock), each leaving a
    ``DeliveryRequestEvent``. Shipping moves approved requests on (scheduled → packed → shipped →
    delivered/returned) through the same services.
    """

    class Source(models.TextChoices):
        AGENCY = "agency", _("Partner agency")
        NAVI = "navi", _("Support Information Navi")
        PROGRAMME = "programme", _("Monthly programme")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        SCHEDULED = "scheduled", _("Scheduled")
        PACKED = "packed", _("Packed")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        RETURNED = "returned", _("Returned")
        CANCELLED = "cancelled", _("Cancelled")

    food_bank = models.ForeignKey(
        Organisation,
        verbose_name=_("food bank"),
        on_delete=models.PROTECT,
        related_name="delivery_requests",
        limit_choices_to={"kind": Organisation.Kind.FOOD_BANK},
        db_index=False,  # dr_fb_status_submitted starts with it
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    agency = models.ForeignKey(
        Organisation,
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="filed_delivery_requests",
        db_index=False,  # dr_agency_submitted starts with it
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    client_reference = models.CharField(
        _("agency's reference"), max_length=64, blank=True, help_text=_("The agency's own case number.")
    )
    recipient = models.ForeignKey(
        Recipient, verbose_name=_("recipient"), on_delete=models.PROTECT, related_name="delivery_requests"
    )
    enrolment = models.ForeignKey(
        Enrolment,
        verbose_name=_("enrolment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="delivery_requests",
        db_index=False,  # delivery_request_once_per_enrolment_month starts with it
    )
    programme_month = models.DateField(_("programme month"), null=True, blank=True)

    situation_category = models.CharField(_("situation"), max_length=32, choices=SituationCategory.choices)
    situation_note = EncryptedTextField(_("situation note"), blank=True)
    no_food_today = models.BooleanField(_("no food today"), default=False)
    days_needed = models.PositiveSmallIntegerField(_("days of food"), default=7)
    gas = models.BooleanField(_("gas"), default=False)
    electricity = models.BooleanField(_("electricity"), default=False)
    water = models.BooleanField(_("water"), default=False)
    microwave = models.BooleanField(_("microwave"), default=False)
    kettle = models.BooleanField(_("kettle"), default=False)
    portable_stove = models.BooleanField(_("portable stove"), default=False)
    allergies = EncryptedTextField(_("allergies"), blank=True)
    # Codes of inventory.allergens the case worker ticked; ``allergies`` keeps the rest as free text.
    # Encrypted like the text: which allergens a household avoids is health data too.
    allergens = EncryptedJSONField(_("allergens"), default=list, blank=True)
    dietary_note = EncryptedTextField(_("dietary needs"), blank=True)
    # What the dispatch batch did about the allergies (``handover.AllergenPacking.to_stored``: an
    # allergen-free alternative packed, or a substitution left to the packer), for the case worker.
    # Written by shipping through ``services.record_allergen_packing``; erased with the allergies.
    allergen_packing = EncryptedJSONField(_("packing for allergies"), default=list, blank=True)
    # [{"item": "diapers", "size": "M", "quantity": 1, "note": ""}]: each given only if in stock.
    extras = models.JSONField(_("extra items (if in stock)"), default=list, blank=True)
    delivery_date = models.DateField(_("preferred delivery date"), null=True, blank=True)
    time_slot = models.CharField(
        _("time slot"), max_length=4, choices=TimeSlot.choices, blank=True, default=TimeSlot.NONE
    )

    # No index of its own: every query by status also filters the food bank (dr_fb_status_submitted),
    # and each index is rewritten when a dispatch batch moves 10,000 requests to scheduled.
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    status_changed_at = models.DateTimeField(_("status changed at"), auto_now_add=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    decline_reason = models.CharField(_("reason for declining"), max_length=500, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=500, blank=True)
    batch_ref = models.CharField(_("dispatch batch"), max_length=64, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=32, blank=True)
    tracking_url = models.URLField(_("tracking link"), max_length=300, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("delivery request")
        verbose_name_plural = _("delivery requests")
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["food_bank", "status", "submitted_at"], name="dr_fb_status_submitted"),
            models.Index(fields=["agency", "submitted_at"], name="dr_agency_submitted"),
            models.Index(
                fields=["food_bank", "approved_at"],
                condition=Q(status="approved"),
                name="dr_approved_for_dispatch",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="delivery_request_days_1_31", condition=Q(days_needed__gte=1, days_needed__lte=31)
            ),
            models.CheckConstraint(
                name="delivery_request_agency_source_has_agency",
                condition=~Q(source="agency") | Q(agency__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["enrolment", "programme_month"],
                condition=Q(enrolment__isnull=False),
                name="delivery_request_once_per_enrolment_month",
            ),
            models.UniqueConstraint(
                fields=["agency", "client_reference"],
                condition=~Q(client_reference=""),
                name="delivery_request_unique_client_reference",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"DR-{self.pk:06d}" if self.pk else "DR-new"

    @property
    def cooking(self) -> dict[str, bool]:
        return {key: getattr(self, key) for key in COOKING_KEYS}

    @property
    def no_cook(self) -> bool:
        """No cooking equipment at all: pack food that needs none."""
        return not any(self.cooking.values())

    @property
    def avoided_allergens(self) -> list[str]:
        """The allergen codes packing avoids: those ticked and those the free text names (a
        request filed before the codes were asked for still has only the text)."""
        return allergen_codes.avoided(self.allergens, self.allergies)

    @property
    def urgency(self) -> list[str]:
        """Flags for triage, most urgent first."""
        flags = []
        if self.no_food_today:
            flags.append("no_food_today")
        if self.recipient.infants:
            flags.append("infants")
        if self.no_cook:
            flags.append("no_cook")
        return flags


class DeliveryRequestEvent(AppendOnly):
    """One status change of a delivery request: who, when, from, to, and a note. A correction
    (``referrals.corrections.correct_request``) is an event too: its status stays (from = to) and
    ``fields`` names what was corrected, never the values (docs/referrals.md)."""

    request = models.ForeignKey(
        DeliveryRequest, verbose_name=_("delivery request"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    from_status = models.CharField(
        _("from"), max_length=16, choices=DeliveryRequest.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=16, choices=DeliveryRequest.Status.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # Names of the corrected fields (``corrections.REQUEST_FIELDS``); empty for a status change.
    fields = models.JSONField(_("corrected fields"), default=list, blank=True)
    # The id of the transaction that wrote the row, set by a trigger (PostgreSQL; null on SQLite,
    # where writers take turns). The changes feed and the webhooks read events in (xid, id) order
    # and only below the oldest running transaction, so a row that commits late with a lower id is
    # never skipped (docs/webhooks.md).
    xid = models.BigIntegerField(_("transaction id"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("delivery request event")
        verbose_name_plural = _("delivery request events")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["xid", "id"], name="dre_changes_feed")]

    def __str__(self) -> str:
        if self.fields:
            return f"corrected {', '.join(self.fields)}"
        return f"{self.from_status or '—'} → {self.to_status}"

    @property
    def is_correction(self) -> bool:
        return bool(self.fields)


class Notification(models.Model):
    """An email to the case worker who filed a request, about one of its events.

    Written with the event; ``referrals.tasks.notify_case_worker_task`` sends it after commit and
    stamps ``sent_at`` (a claim, so a resent task does not email twice).
    """

    event = models.OneToOneField(DeliveryRequestEvent, on_delete=models.CASCADE, related_name="notification")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    skipped = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"notification #{self.pk}"
