"""The hand-over manifest: the parcels a carrier takes, signed at the dock."""

import io
from collections.abc import Iterable
from datetime import date
from typing import BinaryIO

from django.utils.translation import gettext as _
from reportlab.lib.units import mm

from ..carriers.base import ParcelData, SenderData
from ._writer import SHEET_SIZE, _binary_streams, _date, _postal, _Writer


def write_manifest(
    parcels: Iterable[ParcelData],
    out: BinaryIO,
    *,
    carrier_name: str,
    sender: SenderData,
    ship_date: date,
    tracking_numbers: dict[str, str] | None = None,
    title: str = "",
) -> int:
    """A4 hand-over list: every parcel's reference, tracking number, postal code and boxes, with
    totals and signature lines for the person handing over and the driver taking over.

    Names and addresses are left out on purpose: the labels carry them, the list only counts boxes.
    """
    parcels = list(parcels)
    tracking_numbers = tracking_numbers or {}
    w, h = SHEET_SIZE
    m = 15 * mm
    per_page = 40
    pages = max(1, -(-len(parcels) // per_page))
    boxes = sum(max(p.count, 1) for p in parcels)
    s = {
        "manifest": _("Hand-over manifest"),
        "no": _("No."),
        "reference": _("Reference"),
        "tracking": _("Tracking number"),
        "postal": _("Postal code"),
        "boxes": _("Boxes"),
        "total": _("Total: %(parcels)d parcels, %(boxes)d boxes") % {"parcels": len(parcels), "boxes": boxes},
        "handed": _("Handed over by (signature)"),
        "received": _("Received by (carrier, signature)"),
        "when": _("Date and time"),
        "page": _("Page"),
        "sender": _("Sender"),
        "carrier": _("Carrier"),
    }
    with _binary_streams():
        writer = _Writer(out, SHEET_SIZE, f"{s['manifest']} {title}")

        def frame(wr: _Writer) -> None:
            c = wr.canvas
            wr.text(m, h - m, 16, s["manifest"])
            wr.text(m, h - m - 8 * mm, 10, f"{title}  {_date(ship_date)}")
            wr.text(m, h - m - 14 * mm, 10, f"{s['carrier']}: {carrier_name}   {s['sender']}: {sender.name}")
            y = h - m - 24 * mm
            wr.text(m, y, 9, s["no"])
            wr.text(m + 14 * mm, y, 9, s["reference"])
            wr.text(m + 70 * mm, y, 9, s["tracking"])
            wr.text(m + 115 * mm, y, 9, s["postal"])
            wr.text_right(w - m, y, 9, s["boxes"])
            c.setLineWidth(0.6)
            c.line(m, y - 2 * mm, w - m, y - 2 * mm)

        writer.static("manifest", frame)
        c = writer.canvas
        for page in range(pages):
            writer.place("manifest")
            y = h - m - 31 * mm
            start = page * per_page
            for index, parcel in enumerate(parcels[start : start + per_page], start=start + 1):
                writer.text(m, y, 9, str(index))
                writer.text(m + 14 * mm, y, 10, parcel.reference)
                number = tracking_numbers.get(parcel.reference, "")
                if len(number) == 12:
                    number = f"{number[:4]}-{number[4:8]}-{number[8:]}"
                writer.text(m + 70 * mm, y, 10, number)
                writer.text(m + 115 * mm, y, 10, _postal(parcel.recipient_postal_code))
                writer.text_right(w - m, y, 10, str(max(parcel.count, 1)))
                y -= 5.5 * mm
            if page == pages - 1:
                y -= 4 * mm
                writer.text(m, y, 11, s["total"])
                c.setLineWidth(0.6)
                for label_y, label in ((32 * mm, s["handed"]), (18 * mm, s["received"])):
                    writer.text(m, label_y, 10, label)
                    c.line(m + 55 * mm, label_y - 1 * mm, m + 120 * mm, label_y - 1 * mm)
                    writer.text(m + 124 * mm, label_y, 9, s["when"])
                    c.line(m + 145 * mm, label_y - 1 * mm, w - m, label_y - 1 * mm)
            writer.text_right(w - m, 10 * mm, 8, f"{s['page']} {page + 1}/{pages}")
            writer.end_page()
        writer.save()
    return writer.pages


def manifest_pdf(
    parcels: Iterable[ParcelData],
    *,
    carrier_name: str,
    sender: SenderData,
    ship_date: date,
    tracking_numbers: dict[str, str] | None = None,
    title: str = "",
) -> bytes:
    buffer = io.BytesIO()
    write_manifest(
        parcels,
        buffer,
        carrier_name=carrier_name,
        sender=sender,
        ship_date=ship_date,
        tracking_numbers=tracking_numbers,
        title=title,
    )
    return buffer.getvalue()
