"""The pick list of a batch: what to take from the shelves, pack type by pack type."""

import io
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from django.utils.translation import gettext as _
from reportlab.lib.units import mm

from ..carriers.base import ContentLine, ParcelData
from ._writer import SHEET_SIZE, _binary_streams, _date, _Writer


@dataclass(frozen=True, slots=True)
class PickRow:
    pack_type: str
    name: str
    unit: str
    quantity: int  # total over the batch
    parcels: int  # parcels that contain it


def pick_list_rows(parcels: Iterable[ParcelData]) -> tuple[list[PickRow], dict[str, int]]:
    """Totals per (pack type, item) over contents and extras, and batch figures for the header."""
    quantity: dict[tuple[str, str], int] = defaultdict(int)
    count: dict[tuple[str, str], int] = defaultdict(int)
    first: dict[tuple[str, str], ContentLine] = {}
    figures = {"parcels": 0, "boxes": 0, "no_cook": 0, "allergies": 0}
    for parcel in parcels:
        figures["parcels"] += 1
        figures["boxes"] += max(parcel.count, 1)
        figures["no_cook"] += parcel.notes.no_cook
        figures["allergies"] += bool(parcel.notes.allergies)
        keys_in_parcel = set()
        for line in parcel.notes.contents + parcel.notes.extras:
            key = line.key
            quantity[key] += line.quantity
            first.setdefault(key, line)
            keys_in_parcel.add(key)
        for key in keys_in_parcel:
            count[key] += 1
    rows = [
        PickRow(key[0], first[key].name, first[key].unit, quantity[key], count[key])
        for key in sorted(quantity, key=lambda k: (k[0] == "", k[0], first[k].name))
    ]
    return rows, figures


def write_pick_list(
    parcels: Iterable[ParcelData],
    out: BinaryIO,
    *,
    title: str,
    ship_date: date,
    pack_type_names: Mapping[str, str] | None = None,
) -> int:
    """A4 pick list: totals per pack type and item for the whole batch, with tick boxes.

    ``pack_type_names`` maps pack type codes to the names shown (the code is shown otherwise).
    """
    rows, figures = pick_list_rows(parcels)
    pack_type_names = pack_type_names or {}
    w, h = SHEET_SIZE
    m = 15 * mm
    per_page = 38
    pages = max(1, -(-len(rows) // per_page))
    s = {
        "pick_list": _("Pick list"),
        "pack_type": _("Pack type"),
        "item": _("Item"),
        "quantity": _("Quantity"),
        "parcels": _("Parcels"),
        "page": _("Page"),
    }
    summary = (
        _("%(parcels)d parcels, %(boxes)d boxes, %(no_cook)d no-cook, %(allergies)d with allergies") % figures
    )
    with _binary_streams():
        writer = _Writer(out, SHEET_SIZE, f"{s['pick_list']} {title}")

        def frame(wr: _Writer) -> None:
            c = wr.canvas
            wr.text(m, h - m, 16, s["pick_list"])
            wr.text(m, h - m - 8 * mm, 10, f"{title}  {_date(ship_date)}")
            wr.text(m, h - m - 14 * mm, 10, summary)
            y = h - m - 24 * mm
            wr.text(m + 8 * mm, y, 9, s["pack_type"])
            wr.text(m + 38 * mm, y, 9, s["item"])
            wr.text_right(w - m - 25 * mm, y, 9, s["quantity"])
            wr.text_right(w - m, y, 9, s["parcels"])
            c.setLineWidth(0.6)
            c.line(m, y - 2 * mm, w - m, y - 2 * mm)

        writer.static("pick", frame)
        c = writer.canvas
        for page in range(pages):
            writer.place("pick")
            y = h - m - 31 * mm
            for row in rows[page * per_page : (page + 1) * per_page]:
                c.setLineWidth(0.5)
                c.rect(m, y - 0.5 * mm, 3.5 * mm, 3.5 * mm)
                writer.text(m + 8 * mm, y, 10, pack_type_names.get(row.pack_type, row.pack_type))
                writer.text(m + 38 * mm, y, 10, row.name)
                writer.text_right(w - m - 25 * mm, y, 10, f"{row.quantity}{row.unit}")
                writer.text_right(w - m, y, 10, str(row.parcels))
                y -= 6 * mm
            writer.text_right(w - m, 10 * mm, 8, f"{s['page']} {page + 1}/{pages}")
            writer.end_page()
        writer.save()
    return writer.pages


def pick_list_pdf(
    parcels: Iterable[ParcelData],
    *,
    title: str,
    ship_date: date,
    pack_type_names: Mapping[str, str] | None = None,
) -> bytes:
    buffer = io.BytesIO()
    write_pick_list(parcels, buffer, title=title, ship_date=ship_date, pack_type_names=pack_type_names)
    return buffer.getvalue()
