"""Refusals of the inventory domain (the API handler turns them into ``{code, detail, …}``)."""

from typing import TypedDict

from django.utils.translation import gettext_lazy as _

from foodbank.exceptions import DomainError


class Shortage(TypedDict):
    """One short line of ``InsufficientStock`` (also the API's ``shortages`` items)."""

    sku: str
    requested: int
    available: int


class InsufficientStock(DomainError):
    """Not enough usable (unexpired, unreserved) stock; nothing was written.

    ``shortages`` lists ``{"sku", "requested", "available"}`` per short line.
    """

    code = "insufficient_stock"
    default_message = _("There is not enough stock for this; nothing was recorded.")

    def __init__(self, message=None, *, shortages: list[Shortage] | None = None) -> None:
        super().__init__(message, shortages=shortages or [])
        self.shortages = shortages or []


class SameCounter(DomainError):
    code = "same_person"
    status_code = 403
    default_message = _("A stock-take must be confirmed by someone other than the person who counted.")


class CoordinatorConfirmationRequired(DomainError):
    """A difference above INVENTORY_LARGE_DIFFERENCE recorded or confirmed by someone other than a
    coordinator of the food bank; nothing was written."""

    code = "coordinator_confirmation_required"
    status_code = 403
    default_message = _(
        "A difference this large needs a coordinator: record a stock-take and ask a coordinator to "
        "confirm it."
    )


class ReservationMismatch(DomainError):
    code = "reservation_mismatch"
    default_message = _("This reference was already used for a different reservation.")


class UnknownPackType(DomainError):
    """A pack type code the food bank does not have (the API answers 400 on the ``lines`` field)."""

    code = "unknown_pack_type"
    status_code = 400
    default_message = _("Unknown pack type.")

    def __init__(self, message=None, *, codes: list[str]) -> None:
        super().__init__(message, codes=codes)
        self.codes = codes


class LotQuarantined(DomainError):
    """Stock of a recalled lot may not be packed or handed out (docs/traceability.md)."""

    code = "lot_quarantined"
    default_message = _("This stock is quarantined by a recall; nothing was recorded.")

    def __init__(self, message=None, *, lots: list[str]) -> None:
        super().__init__(message, lots=lots)
        self.lots = lots


class UnsuitableForWindowSet(DomainError):
    """Windows keep sets at room temperature for days: 消費期限 food and chilled or frozen food may not
    go into 1-day and 3-day sets. ``items`` names each item that would have been short without it."""

    code = "unsuitable_for_window_set"

    def __init__(self, message=None, *, items: list[str]) -> None:
        if message is None:
            message = _(
                "%(items)s: only food kept at room temperature with a best-before date (賞味期限) goes "
                "into window sets; use-by (消費期限), chilled and frozen lots are left out."
            ) % {"items": "、".join(items)}
        super().__init__(message, items=items)
        self.items = items
