"""The carrier interface and the plain data that goes in and comes out of it.

Nothing here touches the database: callers (shipping.services, the batch tasks) turn their rows
into these frozen dataclasses, call a carrier, and store what comes back. That keeps every carrier
testable byte for byte and lets a batch be built in chunks by several workers.

A ``ParcelData`` carries what a carrier or a packer needs and nothing more: there is no field for
the situation narrative, debts or consent, so no document or file can leak them.
"""

import re
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shipping.exceptions import TrackingNotSupported

__all__ = [
    "REFERENCE_PATTERN",
    "TIME_SLOTS",
    "Carrier",
    "CarrierAccount",
    "ContentLine",
    "ExportResult",
    "HeldBack",
    "PackingNotes",
    "ParcelData",
    "Problem",
    "RejectedRow",
    "SenderData",
    "TrackingImportResult",
    "VoidResult",
    "box_reference",
    "has_errors",
    "next_ship_date",
]

# お客様管理番号: B2 Cloud takes up to 50 half-width letters and digits; a hyphen keeps it readable.
REFERENCE_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z\-]{0,49}$")

# Delivery time slots shared by the API (docs/spec.md §4.1) and B2 Cloud's 配達時間帯 codes.
TIME_SLOTS: dict[str, str] = {
    "": _("Any time"),
    "0812": _("Morning (8–12)"),
    "1416": _("14–16"),
    "1618": _("16–18"),
    "1820": _("18–20"),
    "1921": _("19–21"),
}

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class ContentLine:
    """One line of what goes into a box: a pack ("3日分セット" × 1) or an item ("おむつ M" × 1)."""

    name: str  # as the packer reads it
    quantity: int = 1
    pack_type: str = ""  # pack type code (day1, day3, home) when the line is a pack
    code: str = ""  # item or pack code used to total the pick list; the name when empty
    unit: str = ""  # e.g. 個, 袋, 本
    item: str = ""  # an extra's item code (diapers, formula …), from referrals.handover.ExtraWanted
    size: str = ""  # an extra's size (diapers: newborn, S, M, L, XL, XXL)
    # A pack's "at most so many to a box" under the food bank's rule when it was booked
    # (inventory.sizing): how shipping.boxes divides a parcel of several boxes; 0 when not recorded.
    per_box: int = 0

    @property
    def key(self) -> tuple[str, str]:
        return (self.pack_type, self.code or self.name)


@dataclass(frozen=True, slots=True)
class PackingNotes:
    """What the volunteer packing the box must know (docs/spec.md §2: never the situation narrative)."""

    contents: tuple[ContentLine, ...] = ()
    extras: tuple[ContentLine, ...] = ()  # diapers (with size), formula, gas canisters …
    allergies: str = ""  # e.g. "卵・小麦"
    no_cook: bool = False  # no gas or electricity: food that needs no cooking only
    notes: tuple[str, ...] = ()  # short packing notes, e.g. "たんぱく質多め", "カセットコンロあり"


@dataclass(frozen=True, slots=True)
class ParcelData:
    """A parcel (one box) as carriers and documents see it: a snapshot taken at booking time."""

    reference: str  # お客様管理番号: unique, 1–50 half-width letters, digits or hyphens
    ship_date: date
    recipient_name: str
    recipient_phone: str = ""
    recipient_postal_code: str = ""  # as typed; carriers normalise it
    recipient_address: str = ""  # prefecture, municipality, town and block number
    recipient_building: str = ""  # building and room
    recipient_name_kana: str = ""
    recipient_company: str = ""  # organisation or department, e.g. the window receiving a restock
    honorific: str = ""  # 敬称; blank prints 様
    item_names: tuple[str, ...] = ()  # 品名 (at most 2 for B2); the account's default when empty
    time_slot: str = ""  # one of TIME_SLOTS
    delivery_date: date | None = None
    count: int = 1  # boxes under this reference: one label and one carrier row each (box_reference)
    notes: PackingNotes = field(default_factory=PackingNotes)
    handling: tuple[str, ...] = ()  # 荷扱い, e.g. ("ナマモノ",); at most 2 for B2


@dataclass(frozen=True, slots=True)
class SenderData:
    """The ご依頼主 block printed on every box.

    ``name`` is what a neighbour reads on the box: configure a neutral name (e.g. "SK物流センター")
    rather than the food bank's, so that receiving a parcel does not reveal receiving food aid.
    """

    name: str
    phone: str
    postal_code: str
    address: str
    building: str = ""
    name_kana: str = ""


@dataclass(frozen=True, slots=True)
class CarrierAccount:
    """One account with one carrier: codes for the carrier's files, the sender block, the schedule."""

    carrier: str  # registry code: "yamato" or "local"
    sender: SenderData
    billing_customer_code: str = ""  # 請求先顧客コード (B2: 10–12 digits)
    billing_class_code: str = ""  # 請求先分類コード (B2: blank or 3 digits)
    freight_number: str = ""  # 運賃管理番号 (B2: 2 digits)
    cutoff: time = time(15, 0)  # local (Asia/Tokyo) time after which parcels go to the next pickup
    pickup_weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday is 0
    default_item_name: str = "食品"  # 品名 when a parcel names none


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong (``error``: the parcel is held back) or changed (``warning``) in one field."""

    field: str  # ParcelData / SenderData / CarrierAccount field name, e.g. "recipient_name"
    code: str  # stable English code, e.g. "too_long", "unmappable_character"
    message: str  # for people (translated)
    severity: Severity = "error"

    def as_dict(self) -> dict:
        return {
            "field": self.field,
            "code": self.code,
            "message": str(self.message),
            "severity": self.severity,
        }


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)


@dataclass(frozen=True, slots=True)
class HeldBack:
    reference: str
    problems: tuple[Problem, ...]

    def as_dict(self) -> dict:
        return {"reference": self.reference, "problems": [p.as_dict() for p in self.problems]}


@dataclass(frozen=True, slots=True)
class ExportResult:
    """A carrier file for a batch, and the parcels that were not put in it (with the reasons)."""

    content: bytes
    media_type: str  # e.g. "text/csv; charset=Shift_JIS", "application/pdf"
    filename: str
    exported: tuple[str, ...]  # references written to ``content``, in order
    held_back: tuple[HeldBack, ...] = ()
    warnings: tuple[HeldBack, ...] = ()  # exported parcels with reported changes (mapped characters)


@dataclass(frozen=True, slots=True)
class RejectedRow:
    row: int  # 1-based line number in the uploaded file, as a spreadsheet shows it
    reason: str  # stable English code, e.g. "bad_check_digit"
    message: str
    reference: str = ""
    number: str = ""

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "reason": self.reason,
            "message": str(self.message),
            "reference": self.reference,
            "number": self.number,
        }


@dataclass(frozen=True, slots=True)
class TrackingImportResult:
    matched: tuple[tuple[str, str], ...]  # (reference, tracking number)
    rejected: tuple[RejectedRow, ...]

    def as_dict(self) -> dict:
        return {
            "matched": [{"reference": ref, "tracking_number": num} for ref, num in self.matched],
            "rejected": [r.as_dict() for r in self.rejected],
        }


@dataclass(frozen=True, slots=True)
class VoidResult:
    """What voiding a parcel with the carrier takes. File-based carriers cannot cancel remotely."""

    done: bool  # nothing is left to do at the carrier
    instructions: str = ""  # what staff must do by hand when ``done`` is False


class Carrier(ABC):
    """A carrier behind one interface (docs/spec.md §3.4). Implementations are stateless singletons."""

    code: str
    name: str
    supports_tracking: bool = False

    @abstractmethod
    def validate(
        self, parcel: ParcelData, *, account: CarrierAccount, today: date | None = None
    ) -> list[Problem]:
        """Problems with one parcel, errors and warnings, without changing anything."""

    def validate_account(self, account: CarrierAccount) -> list[Problem]:
        """Problems with the account itself (missing codes, sender block)."""
        return []

    @abstractmethod
    def export_batch(
        self, parcels: Iterable[ParcelData], *, account: CarrierAccount, today: date | None = None
    ) -> ExportResult:
        """The carrier's file for these parcels. Parcels with errors are held back, not written.

        ``today``: the local date the file is made on, for carriers that only take ship dates near
        it (B2 Cloud: today to 30 days ahead); None leaves the ship date unchecked.
        Raises ``shipping.exceptions.CarrierAccountIncomplete`` when the account itself is unusable.
        """

    def import_tracking(
        self,
        data: bytes,
        *,
        known_references: Collection[str],
        assigned_numbers: Mapping[str, str] | Collection[str],
    ) -> TrackingImportResult:
        """Match the carrier's issued-data file to our parcels.

        ``known_references``: references of the parcels this file may contain (e.g. the batch's).
        ``assigned_numbers``: tracking number → reference for numbers already stored on a parcel (a
        plain collection of numbers also works, but then re-importing a file rejects its own rows).
        Raises ``shipping.exceptions.TrackingNotSupported`` for carriers without tracking numbers and
        ``shipping.exceptions.TrackingFileUnreadable`` when the file is not a readable CSV.
        """
        raise TrackingNotSupported()

    def tracking_url(self, number: str) -> str | None:
        """A public page showing where the parcel is, or None."""
        return None

    @abstractmethod
    def void(self, parcel: ParcelData, *, exported: bool = False, tracking_number: str = "") -> VoidResult:
        """What cancelling this parcel with the carrier takes.

        ``exported``: the parcel was in a carrier file already handed to staff; ``tracking_number``:
        the number the carrier issued, if any.
        """

    def relabel(self, parcel: ParcelData, *, exported: bool = False, tracking_number: str = "") -> VoidResult:
        """What re-labelling this parcel takes at the carrier after its request was corrected (its
        data in our documents is new already). Arguments as for ``void``; ``tracking_number`` is
        the number of the label issued with the old data."""
        if tracking_number or exported:
            return VoidResult(
                False,
                _("Print the new label of %(reference)s from the batch's documents and replace the old one.")
                % {"reference": parcel.reference},
            )
        return VoidResult(True)


def box_reference(reference: str, box: int, boxes: int) -> str:
    """The carrier reference of box ``box`` (1-based) of a parcel of ``boxes`` boxes: the parcel's
    own for a one-box parcel, ``<reference>-<box>of<boxes>`` otherwise. The carrier issues a number
    per box and gives it back under this reference, so each box's number is matched to its box."""
    return reference if boxes <= 1 else f"{reference}-{box}of{boxes}"


def next_ship_date(account: CarrierAccount, now: datetime) -> date:
    """The pickup day a parcel booked at ``now`` (an aware datetime, or naive local time) goes on.

    Before the cutoff on a pickup day: that day; otherwise the next pickup day. Public holidays are
    not known here; a food bank closed on one skips it by not building that day's batch.
    """
    if not account.pickup_weekdays:
        raise ValueError("A carrier account needs at least one pickup weekday.")
    if now.tzinfo is not None:
        now = timezone.localtime(now)  # settings.TIME_ZONE, Asia/Tokyo
    day = now.date()
    if now.time() >= account.cutoff or day.weekday() not in account.pickup_weekdays:
        day += timedelta(days=1)
        while day.weekday() not in account.pickup_weekdays:
            day += timedelta(days=1)
    return day
