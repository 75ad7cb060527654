"""Carriers behind one interface (docs/spec.md §3.4): ``get_carrier("yamato")``, ``get_carrier("local")``.

See ``base.py`` for the interface and the plain dataclasses that go in and come out.
"""

from django.utils.translation import gettext_lazy as _

from shipping.exceptions import UnknownCarrier

from .base import (
    REFERENCE_PATTERN,
    TIME_SLOTS,
    Carrier,
    CarrierAccount,
    ContentLine,
    ExportResult,
    HeldBack,
    PackingNotes,
    ParcelData,
    Problem,
    RejectedRow,
    SenderData,
    TrackingImportResult,
    VoidResult,
    box_reference,
    has_errors,
    next_ship_date,
)
from .local import LocalDelivery
from .yamato import YamatoB2

__all__ = [
    "CARRIERS",
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
    "carrier_choices",
    "get_carrier",
    "has_errors",
    "next_ship_date",
]

CARRIERS: dict[str, Carrier] = {carrier.code: carrier for carrier in (YamatoB2(), LocalDelivery())}
_LABELS = {"yamato": _("Yamato Transport (B2 Cloud)"), "local": _("Hand delivery / partner pick-up")}


def get_carrier(code: str) -> Carrier:
    """The carrier registered under ``code``; raises ``shipping.exceptions.UnknownCarrier``."""
    try:
        return CARRIERS[code]
    except KeyError:
        raise UnknownCarrier() from None


def carrier_choices() -> list[tuple[str, str]]:
    """``choices`` for a model field holding a carrier code."""
    return [(code, _LABELS[code]) for code in CARRIERS]
