"""What shipping needs from a delivery request, as typed values defined once (docs/journeys.md).

``referrals`` produces these (``selectors.packing_views``) and ``shipping`` consumes them when it
books a parcel; neither app reads the other's JSON by guessing keys. They hold only what a volunteer
may see to pack (docs/privacy.md): contents wanted, extras, allergies, no-cook, notes and the label,
never the situation narrative, debts or consent details.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from django.utils.translation import gettext as _

from inventory import allergens as allergen_codes

from .models import DiaperSize, ExtraItem


@dataclass(frozen=True, slots=True)
class ExtraWanted:
    """One extra item a case worker asked for (``DeliveryRequest.extras``), given if in stock."""

    item: str  # ExtraItem code: diapers, formula, gas_canister, hygiene, other
    size: str = ""  # diapers: DiaperSize code (newborn, S, M, L, XL, XXL); free text otherwise
    quantity: int = 1
    note: str = ""

    @classmethod
    def from_stored(cls, value: dict) -> "ExtraWanted":
        """From one element of ``DeliveryRequest.extras`` (written by ``services.file_delivery_request``
        from ``serializers.ExtraIn``: item, size, quantity, note)."""
        return cls(
            item=str(value["item"]),
            size=str(value.get("size") or ""),
            quantity=max(int(value.get("quantity") or 1), 1),
            note=str(value.get("note") or ""),
        )

    @property
    def code(self) -> str:
        """What a pick list totals by: the item and its size, as the inventory item codes are written
        (``diapers-m``, ``gas-canister``)."""
        base = self.item.replace("_", "-")
        return f"{base}-{self.size.lower()}" if self.size else base

    @property
    def label(self) -> str:
        """What the packer reads, in the active language: 「紙おむつ M」, 「粉ミルク」, 「その他（肌着）」."""
        name = str(ExtraItem(self.item).label) if self.item in ExtraItem.values else self.item
        size = str(DiaperSize(self.size).label) if self.size in DiaperSize.values else self.size
        if self.item == ExtraItem.OTHER and self.note:
            name = _("%(name)s (%(note)s)") % {"name": name, "note": self.note[:40]}
        return f"{name} {size}" if size else name


@dataclass(frozen=True, slots=True)
class PackingLabel:
    """What the courier label needs (docs/shipping-b2.md)."""

    name: str
    name_kana: str
    phone: str  # E.164; empty when the person has none (the label rule: docs/shipping-b2.md)
    postal_code: str  # seven digits, as text
    prefecture: str
    municipality: str
    address: str
    building: str
    # The filing agency's number, printed instead of ``phone`` when the person has none.
    agency_phone: str = ""


@dataclass(frozen=True)
class PackingView:
    """What a volunteer may see to pack one request: contents and needs, the label. Never the
    situation narrative, debts or consent details (docs/privacy.md)."""

    request_id: int
    reference: str
    status: str
    source: str
    days_needed: int
    household_type: str
    household_size: int
    adults: int
    children: int
    children_ages: list[int]
    infants: int
    elderly: int
    no_cook: bool
    cooking: dict[str, bool]
    allergies: str
    dietary_note: str
    # Allergen codes packing avoids: those the case worker ticked together with those the free
    # text names (``DeliveryRequest.avoided_allergens``), in the labelling standard's order.
    allergens: tuple[str, ...] = ()
    extras: tuple[ExtraWanted, ...] = ()  # each "if in stock"
    delivery_date: date | None = None
    time_slot: str = ""
    label: PackingLabel | None = None


# --- How packing went around the household's allergies -----------------------------------------


@dataclass(frozen=True, slots=True)
class AllergenPacking:
    """What a dispatch batch did about a household's allergies, handed back by shipping
    (``services.record_allergen_packing``) so that the case worker who filed the request sees it
    (docs/traceability.md, allergen-aware packing). Names, never lots or stock.

    ``kind``: ``alternative`` (``alternative`` packed instead of ``pack``), ``substitution`` (only
    ``pack`` with ``allergens`` was left: the packer replaces what contains them) or ``unchecked``
    (``pack``'s allergens were not recorded: the packer checks its labels)."""

    ALTERNATIVE = "alternative"
    SUBSTITUTION = "substitution"
    UNCHECKED = "unchecked"
    KINDS = (ALTERNATIVE, SUBSTITUTION, UNCHECKED)

    kind: str
    pack: str  # the pack type's name, as on the slip
    allergens: tuple[str, ...]  # codes of inventory.allergens
    alternative: str = ""  # the alternative pack type's name (kind ``alternative``)

    def __post_init__(self) -> None:
        if self.kind not in self.KINDS:
            raise ValueError(f"unknown kind {self.kind!r}")

    def to_stored(self) -> dict:
        """One element of ``DeliveryRequest.allergen_packing``."""
        return {
            "kind": self.kind,
            "pack": self.pack,
            "allergens": list(self.allergens),
            "alternative": self.alternative,
        }

    @classmethod
    def from_stored(cls, value: dict) -> "AllergenPacking":
        return cls(
            kind=str(value["kind"]),
            pack=str(value.get("pack") or ""),
            allergens=tuple(value.get("allergens") or ()),
            alternative=str(value.get("alternative") or ""),
        )

    def as_shown(self) -> dict:
        """What the case worker's API and the person's disclosure give: the stored values and the
        ``text``."""
        return {**self.to_stored(), "text": self.text}

    @property
    def text(self) -> str:
        """What the case worker reads, in the active language, worded as the slip's note:
        「アレルギー対応（えび・かにを除く）：家庭向けパックの代わりに家庭向けパック（えび・かに不使用）」."""
        values = {
            "allergens": allergen_codes.labels(self.allergens),
            "pack": self.pack,
            "alternative": self.alternative,
        }
        if self.kind == self.ALTERNATIVE:
            return _("Allergy-aware (without %(allergens)s): %(alternative)s instead of %(pack)s") % values
        if self.kind == self.SUBSTITUTION:
            return (
                _(
                    "No alternative without %(allergens)s: the %(pack)s may contain %(allergens)s; the "
                    "packer replaces what contains them"
                )
                % values
            )
        return (
            _("Allergens not recorded for the %(pack)s: the packer checks its labels for %(allergens)s")
            % values
        )


# --- Withdrawing from dispatch --------------------------------------------------------------------


class Dispatch(Protocol):
    """What referrals asks of the app that ships (``shipping.withdrawals`` registers itself in
    ``ShippingConfig.ready``): take the requests' parcels out of their batches, not yet packed."""

    def withdraw_requests(self, *, request_ids: Iterable[int], by, note: str) -> list: ...

    def hold_requests(self, *, request_ids: Iterable[int]) -> None: ...

    def relabel_requests(self, *, request_ids: Iterable[int], by, fields: list[str]) -> list: ...


_dispatch: Dispatch | None = None


def register_dispatch(dispatch: Dispatch) -> None:
    global _dispatch
    _dispatch = dispatch


def withdraw_from_dispatch(*, request_ids: Iterable[int], by, note: str) -> set[int]:
    """Void the not yet packed parcels of ``request_ids`` in the caller's transaction; returns the
    ids of the requests whose parcel was withdrawn. Called *before* the requests are locked: the
    parcels are locked first, as every shipping write does (shipping.locks). Nothing to do without
    a shipping app."""
    if _dispatch is None:
        return set()
    return {w.request_id for w in _dispatch.withdraw_requests(request_ids=request_ids, by=by, note=note)}


# --- Re-labelling after a correction --------------------------------------------------------------


def hold_dispatch(*, request_ids: Iterable[int]) -> None:
    """Lock the live, not yet packed parcels of ``request_ids`` and their batches in the caller's
    transaction, *before* the requests are locked (shipping's lock order): a correction then finds
    the parcel as it left it, and packing waits for the correction to commit."""
    if _dispatch is not None:
        _dispatch.hold_requests(request_ids=request_ids)


def relabel_dispatch(*, request_ids: Iterable[int], by, fields: list[str]) -> list:
    """Rebuild the not yet packed parcels of ``request_ids`` from the corrected requests (label,
    packing notes, contents) in the caller's transaction, and their batches' documents after it;
    returns shipping's ``Relabelled`` rows (reference, what staff must still do at the carrier).
    ``fields`` names what was corrected (for the parcel's history). Nothing without shipping."""
    if _dispatch is None:
        return []
    return list(_dispatch.relabel_requests(request_ids=request_ids, by=by, fields=fields))
