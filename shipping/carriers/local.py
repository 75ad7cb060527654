"""Hand delivery and partner pick-up: no carrier file, the system prints its own address labels."""

from collections.abc import Iterable
from datetime import date

from django.utils.translation import gettext as _

from shipping.fonts import missing_glyphs

from .base import (
    REFERENCE_PATTERN,
    Carrier,
    CarrierAccount,
    ExportResult,
    HeldBack,
    ParcelData,
    Problem,
    VoidResult,
    has_errors,
)

__all__ = ["LocalDelivery"]

_PRINTED_FIELDS = (
    "recipient_name",
    "recipient_company",
    "recipient_address",
    "recipient_building",
    "recipient_phone",
    "recipient_postal_code",
)


class LocalDelivery(Carrier):
    """Validation is minimal: a reference, a name, and text the label can print in full."""

    code = "local"
    name = "手渡し・パートナー受取"
    media_type = "application/pdf"

    def validate(
        self, parcel: ParcelData, *, account: CarrierAccount, today: date | None = None
    ) -> list[Problem]:
        # Here, not at the top: shipping.documents imports the carriers' value types (the one
        # known cycle, .importlinter).
        from shipping.documents import label_layout_problems

        problems: list[Problem] = []
        if not REFERENCE_PATTERN.match(parcel.reference):
            problems.append(
                Problem(
                    "reference",
                    "invalid_reference",
                    _("The reference must be 1 to 50 half-width letters, digits or hyphens."),
                )
            )
        if not parcel.recipient_name.strip():
            problems.append(Problem("recipient_name", "required", _("A name is needed on the label.")))
        for field in _PRINTED_FIELDS:
            missing = missing_glyphs(getattr(parcel, field))
            if missing:
                problems.append(
                    Problem(
                        field,
                        "unprintable_character",
                        _("The label font cannot print 「%(chars)s」; write it another way.")
                        % {"chars": "".join(missing)},
                    )
                )
        problems.extend(label_layout_problems(parcel))
        return problems

    def export_batch(
        self, parcels: Iterable[ParcelData], *, account: CarrierAccount, today: date | None = None
    ) -> ExportResult:
        from shipping.documents import address_labels_pdf  # here: the documents import the carriers

        printable: list[ParcelData] = []
        held_back: list[HeldBack] = []
        for parcel in parcels:
            problems = self.validate(parcel, account=account)
            if has_errors(problems):
                held_back.append(HeldBack(parcel.reference, tuple(problems)))
            else:
                printable.append(parcel)
        return ExportResult(
            content=address_labels_pdf(printable, sender=account.sender),
            media_type=self.media_type,
            filename="labels.pdf",
            exported=tuple(p.reference for p in printable),
            held_back=tuple(held_back),
        )

    def void(self, parcel: ParcelData, *, exported: bool = False, tracking_number: str = "") -> VoidResult:
        if exported:
            return VoidResult(
                False, _("Remove the printed label of %(reference)s.") % {"reference": parcel.reference}
            )
        return VoidResult(True)
