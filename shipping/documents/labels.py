"""Address labels of the local carrier: the layout check, the labels, and the benchmark hook
(bench/label_floor.py).
"""

import io
from collections.abc import Iterable, Sequence
from typing import BinaryIO

from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics

from ..carriers.base import ParcelData, Problem, SenderData
from ..fonts import register_font
from ..samples import sample_account, sample_parcels
from ._writer import _binary_streams, _date, _postal, _slot, _Writer

LABEL_SIZE = (100 * mm, 150 * mm)  # the common 4×6 inch thermal label


def _wrap(writer_measure, text: str, size: float, width: float, max_lines: int) -> list[str] | None:
    """Greedy line breaking by character (Japanese has no spaces); None when it needs more lines."""
    lines: list[str] = []
    current = ""
    for char in text:
        if writer_measure(current + char, size) <= width:
            current += char
            continue
        lines.append(current.rstrip())
        current = char.lstrip()
        if len(lines) >= max_lines:
            return None
    if current:
        lines.append(current)
    return lines if len(lines) <= max_lines else None


def _fit(measure, text: str, sizes: Sequence[float], width: float, max_lines: int):
    """(size, lines) with the largest size at which ``text`` fits, or None."""
    for size in sizes:
        if measure(text, size) <= width:
            return size, [text]
        lines = _wrap(measure, text, size, width, max_lines)
        if lines is not None:
            return size, lines
    return None


_LABEL_MARGIN = 6 * mm


_LABEL_TEXT_WIDTH = LABEL_SIZE[0] - 2 * _LABEL_MARGIN


_ADDRESS_SIZES = (12, 11, 10, 9)


_NAME_SIZES = (20, 18, 16, 14, 12)


def _label_fields(parcel: ParcelData, measure):
    """Fitted address lines and name, or the fields that do not fit (shared with validation)."""
    address = " ".join(part for part in (parcel.recipient_address, parcel.recipient_building) if part.strip())
    fitted_address = _fit(measure, address, _ADDRESS_SIZES, _LABEL_TEXT_WIDTH, 3) if address else (12, [])
    name = parcel.recipient_name.strip()
    honorific = parcel.honorific.strip() or "様"
    display_name = f"{name} {honorific}" if honorific != "なし" else name
    fitted_name = _fit(measure, display_name, _NAME_SIZES, _LABEL_TEXT_WIDTH, 1)
    fitted_company = _fit(measure, parcel.recipient_company, (11, 10, 9), _LABEL_TEXT_WIDTH, 1)
    return fitted_address, fitted_name, fitted_company


def label_layout_problems(parcel: ParcelData) -> list[Problem]:
    """Fields too long for the label at the smallest readable size (never cut off: held back)."""
    measure = pdfmetrics.getFont(register_font()).stringWidth
    fitted_address, fitted_name, fitted_company = _label_fields(parcel, measure)
    problems = []
    if fitted_address is None:
        problems.append(
            Problem(
                "recipient_address", "too_long", _("The address does not fit on the label in three lines.")
            )
        )
    if fitted_name is None:
        problems.append(
            Problem("recipient_name", "too_long", _("The name does not fit on one line of the label."))
        )
    if fitted_company is None:
        problems.append(
            Problem(
                "recipient_company", "too_long", _("The organisation does not fit on one line of the label.")
            )
        )
    return problems


def write_address_labels(parcels: Iterable[ParcelData], out: BinaryIO, *, sender: SenderData) -> int:
    """One 100×150 mm label per box (a parcel with ``count`` 3 gets labels 1/3, 2/3, 3/3)."""
    w, h = LABEL_SIZE
    m = _LABEL_MARGIN
    s = {
        "to": _("To"),
        "from": _("From"),
        "ship": _("Ship date"),
        "delivery": _("Delivery"),
        "contents": _("Contents"),
        "tel": _("TEL"),
    }
    with _binary_streams():
        writer = _Writer(out, LABEL_SIZE, _("Address labels"))

        def frame(wr: _Writer) -> None:
            c = wr.canvas
            c.setLineWidth(0.8)
            c.rect(m / 2, m / 2, w - m, h - m)
            c.line(m / 2, 52 * mm, w - m / 2, 52 * mm)
            c.line(m / 2, 30 * mm, w - m / 2, 30 * mm)
            wr.text(m, h - m - 3 * mm, 8, s["to"])
            wr.text(m, 47 * mm, 8, s["delivery"])
            wr.text(m, 25.5 * mm, 8, s["from"])
            sender_address = " ".join(p for p in (sender.address, sender.building) if p)
            wr.text(m, 20.5 * mm, 9, f"{_postal(sender.postal_code)} {sender_address}")
            wr.text(m, 15.5 * mm, 10, sender.name)
            wr.text(m, 10.5 * mm, 9, f"{s['tel']} {sender.phone}")

        writer.static("label", frame)
        measure = writer.measure
        for parcel in parcels:
            fitted_address, fitted_name, fitted_company = _label_fields(parcel, measure)
            boxes = max(parcel.count, 1)
            items = "・".join(parcel.item_names)
            for box in range(1, boxes + 1):
                writer.place("label")
                y = h - m - 10 * mm
                writer.text(m, y, 13, _postal(parcel.recipient_postal_code))
                y -= 7 * mm
                if fitted_address:
                    size, lines = fitted_address
                    for line in lines:
                        writer.text(m, y, size, line)
                        y -= size * 1.35
                if fitted_company and parcel.recipient_company:
                    size, lines = fitted_company
                    writer.text(m, y - 1 * mm, size, lines[0])
                    y -= size * 1.35 + 1 * mm
                if fitted_name:
                    size, lines = fitted_name
                    writer.text(m, 96 * mm, size, lines[0])
                if parcel.recipient_phone:
                    writer.text(m, 88 * mm, 10, f"{s['tel']} {parcel.recipient_phone}")
                when = " ".join(p for p in (_date(parcel.delivery_date), _slot(parcel.time_slot)) if p)
                writer.text(m + 16 * mm, 47 * mm, 10, when)
                writer.text(m, 41 * mm, 9, f"{s['contents']} {items}" if items else "")
                writer.text(m, 35 * mm, 9, f"{s['ship']} {_date(parcel.ship_date)}")
                writer.text_right(w - m, 35 * mm, 12, f"{box}/{boxes}")
                writer.text_right(w - m, 41 * mm, 11, parcel.reference)
                writer.end_page()
        writer.save()
    return writer.pages


def address_labels_pdf(parcels: Iterable[ParcelData], *, sender: SenderData) -> bytes:
    buffer = io.BytesIO()
    write_address_labels(parcels, buffer, sender=sender)
    return buffer.getvalue()


def benchmark_labels(n: int, out: BinaryIO) -> int:
    """Draw ``n`` labels of ``shipping.samples`` parcels: what bench/label_floor.py compares with raw
    reportlab drawing the same parcels."""
    return write_address_labels(sample_parcels(n), out, sender=sample_account().sender)
