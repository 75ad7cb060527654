"""Recipients, home-delivery requests with their event trail, Navi self-referrals, consent records
and the monthly programme (docs/spec.md §3.3).

Personal data that is sensitive beyond the label (situation narrative, health, debts, the phone
number) is encrypted at rest with ``foodbank.crypto.EncryptedTextField``; the phone number has a
blind index beside it for exact lookup. Events, consent records and withdrawals are append-only:
their ``save()`` refuses to update an existing row and ``delete()`` is refused, so history is never
rewritten through the ORM (the admin shows them read-only too).
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from foodbank.crypto import EncryptedTextField
from foodbank.geo import RegionalBureau
from foodbank.models import HouseholdType, Organisation


class AppendOnly(models.Model):
    """A row that is written once and never changed or deleted."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are append-only.")


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

# Codes for what a consent covers: who may receive the data, and which kinds of data.
DATA_RECIPIENTS = ("food_bank", "courier", "referring_agency", "consultation_service")
DATA_CATEGORIES = ("identity", "contact", "address", "household", "situation", "health", "debts")


class Recipient(models.Model):
    """A person (and their household) who receives food.

    Created with each delivery request (an agency's own case number, ``client_reference`` on the
    request, links them on the agency's side) and reused by the monthly programme. The name may be
    a pseudonym where nothing is delivered; a delivery needs the name and address the courier
    prints. Household composition: ``adults`` are 18–64, ``elderly`` 65 or over, ``children``
    3–17 (ages in ``children_ages``), ``infants`` under 3 (diapers, formula).
    """

    food_bank = models.ForeignKey(
        Organisation,
        verbose_name=_("food bank"),
        on_delete=models.PROTECT,
        related_name="recipients",
        limit_choices_to={"kind": Organisation.Kind.FOOD_BANK},
    )
    agency = models.ForeignKey(
        Organisation,
        verbose_name=_("registered by agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registered_recipients",
        help_text=_("Empty for self-referrals through the Navi."),
    )
    name = models.CharField(_("name"), max_length=64)
    is_pseudonym = models.BooleanField(_("pseudonym"), default=False)
    name_kana = models.CharField(_("name (kana)"), max_length=64, blank=True)
    # E.164 (+8190…), encrypted; phone_index finds equal numbers without decrypting.
    phone = EncryptedTextField(_("phone"), blank=True)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    postal_code = models.CharField(_("postal code"), max_length=7, blank=True)
    prefecture = models.CharField(_("prefecture"), max_length=8, blank=True)
    municipality = models.CharField(_("municipality"), max_length=64, blank=True)
    municipality_code = models.CharField(_("municipality code (JIS X 0402)"), max_length=5, blank=True)
    regional_bureau = models.CharField(
        _("regional bureau"), max_length=16, choices=RegionalBureau.choices, blank=True
    )
    address = models.CharField(_("street address"), max_length=200, blank=True)
    building = models.CharField(_("building"), max_length=200, blank=True)
    household_type = models.CharField(_("household type"), max_length=16, choices=HouseholdType.choices)
    adults = models.PositiveSmallIntegerField(_("adults (18–64)"), default=1)
    children = models.PositiveSmallIntegerField(_("children (3–17)"), default=0)
    children_ages = models.JSONField(_("children's ages"), default=list, blank=True)
    infants = models.PositiveSmallIntegerField(_("infants (under 3)"), default=0)
    elderly = models.PositiveSmallIntegerField(_("elderly (65+)"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Set by the retention job (referrals.retention) when the personal data was erased.
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        constraints = [
            models.CheckConstraint(
                name="recipient_postal_code_blank_or_7_digits",
                condition=Q(postal_code="") | Q(postal_code__regex=r"^[0-9]{7}$"),
            ),
            models.CheckConstraint(
                name="recipient_household_not_empty",
                condition=Q(adults__gt=0) | Q(children__gt=0) | Q(infants__gt=0) | Q(elderly__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def household_size(self) -> int:
        return self.adults + self.children + self.infants + self.elderly

    @property
    def postal_code_display(self) -> str:
        code = self.postal_code
        return f"{code[:3]}-{code[3:]}" if len(code) == 7 else code


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
    # allergies, dietary needs, extras, days, time slot), never its situation narrative.
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
    dietary_note = EncryptedTextField(_("dietary needs"), blank=True)
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


class ConsentRecord(AppendOnly):
    """One person's decision about one purpose, as it was recorded (immutable).

    A later decision is a new record; withdrawal is a ``ConsentWithdrawal`` row. Whether consent is
    valid now is answered by ``referrals.selectors.valid_consent``: the latest record for the
    person and purpose, if given and not withdrawn.
    """

    class Purpose(models.TextChoices):
        SHARE_WITH_FOODBANK = "share_with_foodbank", _("Sharing with the food bank")
        REFERRAL = "referral", _("Referral to consultation services")
        PHONE_CONTACT = "phone_contact", _("Contact by phone")

    class Basis(models.TextChoices):
        CONSENT = "consent", _("Consent")
        STATUTORY_EXCEPTION = "statutory_exception", _("Statutory exception (APPI)")

    class Decision(models.TextChoices):
        GIVEN = "given", _("Given")
        REFUSED = "refused", _("Refused")

    class Method(models.TextChoices):
        SIGNED_FORM = "signed_form", _("Signed form")
        VERBAL = "verbal", _("Verbal, with a named witness")
        ELECTRONIC = "electronic", _("Electronic (online application)")

    food_bank = models.ForeignKey(
        Organisation, verbose_name=_("food bank"), on_delete=models.PROTECT, related_name="consent_records"
    )
    recipient = models.ForeignKey(
        Recipient, verbose_name=_("person"), on_delete=models.PROTECT, related_name="consents"
    )
    purpose = models.CharField(_("purpose"), max_length=32, choices=Purpose.choices)
    # Codes: who may receive the data, and which kinds of data (see referrals.consent).
    data_recipients = models.JSONField(_("recipients of the data"), default=list)
    data_categories = models.JSONField(_("data categories"), default=list)
    basis = models.CharField(_("basis"), max_length=32, choices=Basis.choices, default=Basis.CONSENT)
    statutory_basis = models.CharField(_("statutory provision"), max_length=200, blank=True)
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices)
    method = models.CharField(_("how it was obtained"), max_length=16, choices=Method.choices)
    witness_name = models.CharField(_("witness"), max_length=100, blank=True)
    wording_version = models.CharField(_("wording version shown"), max_length=32)
    by_guardian = models.BooleanField(_("given by a guardian"), default=False)
    guardian_name = models.CharField(_("guardian"), max_length=100, blank=True)
    decided_at = models.DateTimeField(_("decided at"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    recorded_by_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("recording organisation"),
        on_delete=models.PROTECT,
        related_name="consents_recorded",
    )
    delivery_request = models.ForeignKey(
        DeliveryRequest,
        verbose_name=_("collected with request"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consents",
    )

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-decided_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "purpose", "decided_at"], name="consent_lookup")]
        constraints = [
            models.CheckConstraint(
                name="consent_verbal_has_witness", condition=~Q(method="verbal") | ~Q(witness_name="")
            ),
            models.CheckConstraint(
                name="consent_guardian_named", condition=Q(by_guardian=False) | ~Q(guardian_name="")
            ),
            models.CheckConstraint(
                name="consent_statutory_basis_named",
                condition=~Q(basis="statutory_exception") | ~Q(statutory_basis=""),
            ),
        ]

    def __str__(self) -> str:
        return f"consent #{self.pk} {self.purpose} {self.decision}"


class ConsentWithdrawal(AppendOnly):
    """The withdrawal of a consent: when, by whom it was recorded, and for which organisation."""

    consent = models.OneToOneField(
        ConsentRecord, verbose_name=_("consent"), on_delete=models.PROTECT, related_name="withdrawal"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_by_organisation = models.ForeignKey(
        Organisation, verbose_name=_("recording organisation"), on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("consent withdrawal")
        verbose_name_plural = _("consent withdrawals")

    def __str__(self) -> str:
        return f"withdrawal of consent #{self.consent_id}"


# --- Referrals back to consultation services (issue 6) ---------------------------------------------

# Partner kinds a referral may be addressed to (besides consultation windows, which are sites).
REFERRAL_TARGET_KINDS = (
    Organisation.Kind.COMMUNITY_SUPPORT_CENTER,
    Organisation.Kind.DV_SHELTER,
    Organisation.Kind.SOCIAL_WELFARE_COUNCIL,
    Organisation.Kind.INDEPENDENCE_SUPPORT,
    Organisation.Kind.MUNICIPALITY,
    Organisation.Kind.NPO,
)


class HandoutContact(models.Model):
    """The person behind an (otherwise anonymous) window handout who asked to be referred and gave
    a name and contact. ``inventory`` owns the handout; this table links it to the recipient and
    the consent the window staff recorded (``referrals.services.record_handout_contact``)."""

    handout = models.OneToOneField(
        "inventory.Handout", verbose_name=_("handout"), on_delete=models.PROTECT, related_name="contact"
    )
    recipient = models.ForeignKey(
        Recipient, verbose_name=_("person"), on_delete=models.PROTECT, related_name="handout_contacts"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("handout contact")
        verbose_name_plural = _("handout contacts")

    def __str__(self) -> str:
        return f"contact for handout #{self.handout_id}"


# What a case worker reads instead of a confidential target's name.
CONFIDENTIAL_TARGET = _("a confidential consultation service")


class Referral(models.Model):
    """A referral of a consenting person back to a consultation window or partner agency.

    ``consent`` is required: the service checks it is a valid referral consent of the same person
    under a row lock, and on PostgreSQL a trigger (migration 0003) refuses any row whose consent
    is not a given, unwithdrawn ``referral`` consent of ``recipient``. Exactly one target: a
    window (``target_site``) or a partner organisation (``target_organisation``).
    """

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        CONTACTED = "contacted", _("Contacted")
        CLOSED = "closed", _("Closed")

    class Source(models.TextChoices):
        DELIVERY_REQUEST = "delivery_request", _("Delivery request")
        NAVI = "navi", _("Navi self-referral")
        HANDOUT = "handout", _("Window handout")
        DIRECT = "direct", _("Recorded directly")

    food_bank = models.ForeignKey(
        Organisation, verbose_name=_("food bank"), on_delete=models.PROTECT, related_name="referrals"
    )
    recipient = models.ForeignKey(
        Recipient, verbose_name=_("person"), on_delete=models.PROTECT, related_name="referrals"
    )
    consent = models.ForeignKey(
        ConsentRecord, verbose_name=_("consent"), on_delete=models.PROTECT, related_name="referrals"
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    delivery_request = models.ForeignKey(
        DeliveryRequest,
        verbose_name=_("delivery request"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
    )
    handout = models.ForeignKey(
        "inventory.Handout",
        verbose_name=_("handout"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    target_site = models.ForeignKey(
        "foodbank.Site",
        verbose_name=_("consultation window"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_received",
    )
    target_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_received",
    )
    # The data categories shared with the target: the consent's, at the time it was sent.
    shared_categories = models.JSONField(_("data shared"), default=list)
    # What the person chose to tell the target about their needs (entered by the coordinator).
    needs = EncryptedTextField(_("needs the person chose to share"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SENT)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sent by"), on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    contacted_on = models.DateField(_("contacted on"), null=True, blank=True)
    contact_outcome = EncryptedTextField(_("outcome of the contact"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    outcome = EncryptedTextField(_("outcome"), blank=True)
    # Set when the person withdrew their consent: the target then sees no personal details.
    consent_withdrawn_at = models.DateTimeField(_("consent withdrawn at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated to the coordinator at"), null=True, blank=True)
    escalation_emailed_at = models.DateTimeField(null=True, blank=True, editable=False)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-sent_at", "-pk"]
        indexes = [
            models.Index(fields=["target_site", "sent_at"], name="referral_site_inbox"),
            models.Index(fields=["target_organisation", "sent_at"], name="referral_org_inbox"),
            models.Index(
                fields=["status", "sent_at"], condition=Q(status="sent"), name="referral_unacknowledged"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="referral_exactly_one_target",
                condition=(Q(target_site__isnull=False) & Q(target_organisation__isnull=True))
                | (Q(target_site__isnull=True) & Q(target_organisation__isnull=False)),
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"RF-{self.pk:06d}" if self.pk else "RF-new"

    @property
    def target(self):
        return self.target_site if self.target_site_id else self.target_organisation

    @property
    def target_label(self) -> str:
        """The target's name as the filing case worker may see it: a confidential window or
        organisation (a DV shelter) is never named outside its own staff and the coordinators
        (docs/privacy.md, Confidential sites)."""
        target = self.target
        if target is None:
            return ""
        confidential = target.is_confidential if self.target_site_id else target.confidential
        return str(CONFIDENTIAL_TARGET) if confidential else target.name

    @property
    def withdrawn(self) -> bool:
        return self.consent_withdrawn_at is not None


class ReferralEvent(AppendOnly):
    """One step of a referral's trail: who, when, what. ``note`` is the target's own note (the
    filing case worker never sees it)."""

    class Kind(models.TextChoices):
        SENT = "sent", _("Sent")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        CONTACTED = "contacted", _("Contacted")
        CLOSED = "closed", _("Closed")
        CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent withdrawn")
        ESCALATED = "escalated", _("Escalated to the coordinator")

    referral = models.ForeignKey(
        Referral, verbose_name=_("referral"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("step"), max_length=32, choices=Kind.choices)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = EncryptedTextField(_("note"), blank=True)
    # As DeliveryRequestEvent.xid: the writing transaction, for the webhooks' commit-safe order.
    xid = models.BigIntegerField(_("transaction id"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("referral event")
        verbose_name_plural = _("referral events")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["xid", "id"], name="referral_event_changes")]

    def __str__(self) -> str:
        return f"{self.referral_id} {self.kind}"


class Feedback(models.Model):
    """A message from a recipient. Only ``may_be_published`` messages ever leave the coordinator's
    own page (exports, reports, other pages); private ones stay private."""

    food_bank = models.ForeignKey(
        Organisation, verbose_name=_("food bank"), on_delete=models.PROTECT, related_name="feedback"
    )
    recipient = models.ForeignKey(
        Recipient,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="feedback",
    )
    message = EncryptedTextField(_("message"))
    may_be_published = models.BooleanField(_("may be published"), default=False)
    received_on = models.DateField(_("received on"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-received_on", "-pk"]

    def __str__(self) -> str:
        return f"feedback #{self.pk}"
