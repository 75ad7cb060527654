"""Consents: the consent records and their withdrawals."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from foodbank.models import Organisation

from ._common import AppendOnly
from .delivery_requests import DeliveryRequest
from .recipients import Recipient

# Codes for what a consent covers: who may receive the data, and which kinds of data.
DATA_RECIPIENTS = ("food_bank", "courier", "referring_agency", "consultation_service")
DATA_CATEGORIES = ("identity", "contact", "address", "household", "situation", "health", "debts")


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
    # No index of its own: ``consent_lookup`` (recipient, purpose, decided_at) begins with it.
    recipient = models.ForeignKey(
        Recipient, verbose_name=_("person"), on_delete=models.PROTECT, related_name="consents", db_index=False
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
