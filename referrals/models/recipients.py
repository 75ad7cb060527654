"""Recipients: the people filed for, with their encrypted contact details."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from foodbank.crypto import EncryptedTextField
from foodbank.geo import RegionalBureau
from foodbank.models import HouseholdType, Organisation


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
    # E.164 (+8190…), encrypted; phone_index finds equal numbers without decrypting (Meta.indexes).
    phone = EncryptedTextField(_("phone"), blank=True)
    phone_index = models.CharField(max_length=64, blank=True, editable=False)
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
        # An HMAC is only ever compared whole: a plain B-tree, without the ``LIKE`` index that
        # ``db_index`` adds to a text column on PostgreSQL, one index less to write per filing.
        indexes = [models.Index(fields=["phone_index"], name="recipient_phone_index")]
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
