"""Packing slips: one per box, what goes into it and the packer's notes (docs/shipping.md)."""

import io
from collections.abc import Iterable
from typing import BinaryIO

from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm

from ..boxes import Box, split_into_boxes
from ..carriers.base import ContentLine, ParcelData
from ._writer import _binary_streams, _date, _slot, _Writer

SLIP_SIZE = A5


def _quantity(line: ContentLine) -> str:
    return f"× {line.quantity}{line.unit}"


def _slip_lines(parcel: ParcelData, box: Box, s: dict) -> list[tuple[str, str, str]]:
    """(kind, left, right) lines of a box's slip: section headings, boxes to tick, notes. The notes
    (substitutions for allergens among them) are the parcel's: on every box's slip."""
    notes = parcel.notes
    lines: list[tuple[str, str, str]] = []
    if box.contents:
        lines.append(("heading", s["contents"], ""))
        lines.extend(("item", line.name, _quantity(line)) for line in box.contents)
    if box.extras:
        lines.append(("heading", s["extras"], ""))
        lines.extend(("item", line.name, _quantity(line)) for line in box.extras)
    if notes.notes:
        lines.append(("heading", s["notes"], ""))
        lines.extend(("note", note, "") for note in notes.notes)
    return lines


NO_RESALE = "転売禁止"


def write_packing_slips(parcels: Iterable[ParcelData], out: BinaryIO, *, title: str = "") -> int:
    """One A5 page per box (a second page only when the list is very long): the parcel's reference as
    text and QR code (what the packing station's scanner reads, the same on each box's slip), the box
    (「箱 1/2」, only for a parcel of several boxes), what goes into it (shipping.boxes: divided as
    the boxes were counted), allergies, no-cook and the notes."""
    w, h = SLIP_SIZE
    m = 12 * mm
    s = {
        "slip": _("Packing slip"),
        "contents": _("Contents"),
        "extras": _("Extras"),
        "notes": _("Notes"),
        "no_cook": _("NO COOKING: only food that needs no gas, electricity or water"),
        "allergies": _("Allergies"),
        "packed_by": _("Packed by"),
        "checked_by": _("Checked by"),
        "ship": _("Ship date"),
        "delivery": _("Delivery"),
        "continued": _("continued"),
        "box": _("Box"),
    }
    with _binary_streams():
        writer = _Writer(out, SLIP_SIZE, title or s["slip"])

        def frame(wr: _Writer) -> None:
            c = wr.canvas
            wr.text(m, h - m - 4 * mm, 14, s["slip"])
            # Donated food is not for sale (食品寄附ガイドライン): printed on the slip that travels
            # inside the box; the address label outside stays neutral (tests/trust/test_no_stigma.py).
            wr.text(m + 45 * mm, h - m - 4 * mm, 12, NO_RESALE)
            if title:
                wr.text(m, h - m - 10 * mm, 9, title)
            c.setLineWidth(0.5)
            c.line(m, 22 * mm, w - m, 22 * mm)
            wr.text(m, 15 * mm, 10, s["packed_by"])
            wr.text(w / 2, 15 * mm, 10, s["checked_by"])
            c.line(m + 22 * mm, 14 * mm, w / 2 - 4 * mm, 14 * mm)
            c.line(w / 2 + 22 * mm, 14 * mm, w - m, 14 * mm)

        writer.static("slip", frame)
        c = writer.canvas
        line_height = 5.5 * mm
        bottom = 26 * mm
        top_next = h - m - 38 * mm
        capacity_next = int((top_next - bottom) // line_height) + 1
        for parcel in parcels:
            notes = parcel.notes
            top_first = top_next - 14 * mm - 10 * mm * (notes.no_cook + bool(notes.allergies))
            capacity_first = int((top_first - bottom) // line_height) + 1
            room = w - 2 * m - 30 * mm - 6 * mm
            reference_size = min(18.0, 18 * room / max(writer.measure(parcel.reference, 18), 1))
            when = " ".join(p for p in (_date(parcel.delivery_date), _slot(parcel.time_slot)) if p)
            dates = f"{s['ship']} {_date(parcel.ship_date)}   {s['delivery']} {when}"
            for box in split_into_boxes(notes, parcel.count):
                lines = _slip_lines(parcel, box, s)
                pages = 1 + max(0, -(-(len(lines) - capacity_first) // capacity_next))
                # 「箱 1/2」 only for a parcel of several boxes: a one-box slip stays as it was.
                marks = [f"{s['box']} {box.number}/{box.of}"] if box.of > 1 else []
                cursor = 0
                for page in range(1, pages + 1):
                    writer.place("slip")
                    qr_size = 30 * mm
                    # The parcel's reference on every box's slip: the station finds the parcel from any.
                    writer.qr(parcel.reference, w - m - qr_size, h - m - qr_size, qr_size)
                    # Left of the QR code, never into its quiet zone: long references get a smaller size.
                    writer.text(m, h - m - 20 * mm, reference_size, parcel.reference)
                    if pages > 1:
                        marks_page = _("page %(page)d/%(pages)d") % {"page": page, "pages": pages}
                        if page > 1:
                            marks_page += f" ({s['continued']})"
                        writer.text(m, h - m - 27 * mm, 12, "   ".join([*marks, marks_page]))
                    elif marks:
                        writer.text(m, h - m - 27 * mm, 12, marks[0])
                    y = top_next
                    capacity = capacity_next
                    if page == 1:
                        writer.text(m, y, 12, f"{parcel.recipient_name} {parcel.honorific or '様'}")
                        y -= 6 * mm
                        writer.text(m, y, 9, dates)
                        y -= 8 * mm
                        if notes.no_cook:
                            c.setLineWidth(1.5)
                            c.rect(m, y - 2.5 * mm, w - 2 * m, 8 * mm)
                            writer.text(m + 2 * mm, y, 10, s["no_cook"])
                            y -= 10 * mm
                        if notes.allergies:
                            c.setLineWidth(1.5)
                            c.rect(m, y - 2.5 * mm, w - 2 * m, 8 * mm)
                            writer.text(m + 2 * mm, y, 10, f"{s['allergies']}: {notes.allergies}")
                            y -= 10 * mm
                        capacity = capacity_first
                    for kind, left, right in lines[cursor : cursor + capacity]:
                        if kind == "heading":
                            writer.text(m, y, 10, f"■ {left}")
                        elif kind == "item":
                            c.setLineWidth(0.6)
                            c.rect(m + 1 * mm, y - 0.5 * mm, 3.2 * mm, 3.2 * mm)
                            writer.text(m + 6 * mm, y, 10, left)
                            writer.text_right(w - m, y, 10, right)
                        else:
                            writer.text(m + 6 * mm, y, 9, left)
                        y -= line_height
                    cursor += capacity
                    writer.end_page()
        writer.save()
    return writer.pages


def packing_slips_pdf(parcels: Iterable[ParcelData], *, title: str = "") -> bytes:
    buffer = io.BytesIO()
    write_packing_slips(parcels, buffer, title=title)
    return buffer.getvalue()
