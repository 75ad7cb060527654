"""Donors and intake inspection (docs/traceability.md): the registry of who gives food, and the
check of every donation line at the warehouse door before it becomes a lot.

Writes only: reads are in ``inventory.selectors`` and the API.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from foodbank.models import Organisation, Site

from . import allergens
from .lot_models import DateLabel, Donor, StorageClass
from .models import DonationReceipt, DonationReceiptLine, Item
from .services.ledger import _check_time, _same_tenant
from .services.receipts import book_receipt

# --- Donors ----------------------------------------------------------------------------------------


DONOR_FIELDS = (
    "kind",
    "name",
    "contact_name",
    "phone",
    "email",
    "address",
    "agreement_on",
    "resale_forbidden_accepted",
    "handling_terms_accepted",
    "receipt_frequency",
    "active",
)


@transaction.atomic
def save_donor(*, food_bank: Organisation, donor: Donor | None = None, **values) -> Donor:
    """Register a donor, or change one (``donor``). An individual may stay anonymous (blank name);
    any other kind needs a name. A name is unique within the food bank."""
    unknown = set(values) - set(DONOR_FIELDS)
    if unknown:
        raise TypeError(f"save_donor: unknown fields {sorted(unknown)}")
    if donor is None:
        donor = Donor(food_bank=food_bank)
    elif donor.food_bank_id != food_bank.pk:
        raise ValidationError(_("This donor belongs to another food bank."))
    for name, value in values.items():
        setattr(donor, name, value)
    donor.name = (donor.name or "").strip()
    if not donor.name and donor.kind != Donor.Kind.INDIVIDUAL:
        raise ValidationError({"name": _("Only an individual may stay anonymous.")})
    clash = Donor.objects.filter(food_bank=food_bank, name=donor.name).exclude(pk=donor.pk)
    if donor.name and clash.exists():
        raise ValidationError({"name": _("A donor with this name is registered already.")})
    donor.save()
    return donor


# --- Intake inspection -----------------------------------------------------------------------------


@dataclass(frozen=True)
class InspectedLine:
    """One donated product as checked at intake. ``accepted=False`` needs a ``reject_reason``."""

    item: Item
    quantity: int
    best_before: date | None = None
    date_label: str = DateLabel.BEST_BEFORE
    storage: str = StorageClass.AMBIENT
    allergens: Sequence[str] = field(default_factory=tuple)
    weight_kg: Decimal | None = None
    product_name: str = ""
    jan_code: str = ""
    condition: str = DonationReceiptLine.Condition.GOOD
    accepted: bool = True
    reject_reason: str = ""
    reject_note: str = ""


def inspection_errors(lines: Sequence[InspectedLine], *, today: date) -> dict[int, dict]:
    """Field errors of each line that contradicts itself, by line index (empty when all is well)."""
    errors = {}
    for index, line in enumerate(lines):
        line_errors = _check_line(line, today)
        if line_errors:
            errors[index] = line_errors
    return errors


def _check_line(line: InspectedLine, today: date) -> dict:
    errors = {}
    try:
        allergens.normalise(line.allergens)
    except ValueError as exc:
        errors["allergens"] = [_("Unknown allergen codes: %(codes)s") % {"codes": exc}]
    if line.date_label not in DateLabel.values:
        errors["date_label"] = [_("Unknown date label.")]
    if line.storage not in StorageClass.values:
        errors["storage"] = [_("Unknown storage class.")]
    if line.jan_code and not (line.jan_code.isdigit() and len(line.jan_code) in (8, 13)):
        errors["jan_code"] = [_("A JAN code has 8 or 13 digits.")]
    if line.accepted:
        if line.reject_reason:
            errors["reject_reason"] = [_("An accepted line has no reason for rejection.")]
        if line.date_label == DateLabel.USE_BY and line.best_before is None:
            errors["best_before"] = [_("Food with a use-by date (消費期限) needs the date.")]
        if line.best_before is not None and line.best_before < today:
            errors["best_before"] = [_("The date has passed: reject the line.")]
        if line.condition == DonationReceiptLine.Condition.DAMAGED:
            errors["condition"] = [_("A damaged package is rejected.")]
    elif line.reject_reason not in DonationReceiptLine.RejectReason.values:
        errors["reject_reason"] = [_("Say why the line is rejected.")]
    return errors


def _weight(line: InspectedLine) -> Decimal:
    """The line's weighed kilograms, or the item's unit weight times the quantity."""
    if line.weight_kg is not None:
        return Decimal(str(line.weight_kg))
    return Decimal(str(line.item.weight_kg)) * line.quantity


@transaction.atomic
def record_inspected_donation(
    *,
    site: Site,
    donor: Donor,
    lines: Sequence[InspectedLine],
    checked_by,
    received_at: datetime | None = None,
    reference: str = "",
    note: str = "",
) -> DonationReceipt:
    """Receive a donation whose every line was inspected: accepted lines become lots in stock
    (``book_receipt``), rejected lines are kept on the receipt with their reason and write no stock.

    The receipt's weight is the accepted lines' weight (what the food bank took in, for tonnage).
    Raises ValidationError keyed by line index for a line that contradicts itself (an accepted line
    past its date or damaged, a rejection without a reason, unknown allergen codes); nothing is
    written then. A receipt with the same non-empty ``reference`` is returned as it is.
    """
    if site.kind != Site.Kind.WAREHOUSE:
        raise ValidationError({"site": _("Donations are received at a warehouse.")})
    if reference:
        existing = DonationReceipt.objects.filter(food_bank_id=site.food_bank_id, reference=reference).first()
        if existing is not None:
            return existing
    if not lines:
        raise ValidationError({"lines": _("A receipt needs at least one line.")})
    _same_tenant(site, donor, *(line.item for line in lines))
    now = timezone.now()
    received_at = _check_time(received_at, now)
    errors = inspection_errors(lines, today=timezone.localdate(received_at))
    if errors:
        raise ValidationError(
            {
                "lines": [
                    f"{index + 1}: {msg}"
                    for index, e in errors.items()
                    for msgs in e.values()
                    for msg in msgs
                ]
            }
        )
    weight = sum((_weight(line) for line in lines if line.accepted), Decimal(0))
    receipt = DonationReceipt.objects.create(
        food_bank_id=site.food_bank_id,
        site=site,
        donor=donor,
        donor_type=donor.kind,
        donor_name=donor.name,
        weight_kg=Decimal(weight).quantize(Decimal("0.01")),
        reference=reference,
        note=note,
        received_at=received_at,
        recorded_by=checked_by if getattr(checked_by, "pk", None) else None,
    )
    DonationReceiptLine.objects.bulk_create(
        [
            DonationReceiptLine(
                receipt=receipt,
                item=line.item,
                quantity=line.quantity,
                best_before=line.best_before,
                product_name=line.product_name or line.item.name,
                jan_code=line.jan_code,
                weight_kg=_weight(line),
                date_label=line.date_label,
                storage=line.storage,
                allergens=allergens.normalise(line.allergens),
                condition=line.condition,
                accepted=line.accepted,
                reject_reason=line.reject_reason if not line.accepted else "",
                reject_note=line.reject_note,
                checked_by=checked_by if getattr(checked_by, "pk", None) else None,
                checked_at=now,
            )
            for line in lines
        ]
    )
    return book_receipt(receipt=receipt)
