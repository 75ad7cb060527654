"""The system's own PDFs for a dispatch batch: address labels, pick list, packing slips, manifest.

Every function takes plain ``ParcelData`` (shipping.carriers.base), writes one PDF to a binary file
object and returns the number of pages; the ``*_pdf`` twins return bytes. Japanese text is set in
the embedded TrueType font of ``shipping.fonts`` (registered once per process).

Speed matters: a batch of 10,000 parcels must take at most twice what raw reportlab needs to draw
10,000 labels (docs/spec.md §7; bench/label_floor.py measures both). So:
- what is the same on every page (frames, headings, the sender block) is drawn once as a form
  XObject and placed on each page with one operator;
- per-page text is written as PDF text operators straight from the font's subset encoding
  (``TTFont.splitString`` + ``getSubsetInternalName``, the route reportlab documents for dynamic
  fonts) instead of a text object per string;
- QR codes are filled rectangles in one path, from ``shipping.qr`` (level M, fixed mask 0: any of the
  eight masks is valid, and evaluating all eight costs more than the rest of the page);
- content streams are zlib-compressed binary (level 1), not ASCII85 on top (valid PDF, faster);
- pages bypass reportlab's page objects: each page is a pre-formatted dictionary (``_Page``) with its
  stream compressed when the page ends, and one resource dictionary (fonts, forms) shared by all
  pages; reportlab still writes the fonts, forms, catalogue and cross-reference table;
- the PDF is deterministic (``invariant``): rebuilding a document gives the same bytes.
"""

import contextlib
import io
import re
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from django.utils.translation import gettext as _
from reportlab import rl_config
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.rl_accel import escapePDF
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfgen import canvas as rl_canvas

from .carriers.base import TIME_SLOTS, ContentLine, ParcelData, Problem, SenderData
from .fonts import register_font
from .qr import rows as qr_rows

__all__ = [
    "LABEL_SIZE",
    "PickRow",
    "address_labels_pdf",
    "benchmark_labels",
    "label_layout_problems",
    "manifest_pdf",
    "packing_slips_pdf",
    "pick_list_pdf",
    "pick_list_rows",
    "write_address_labels",
    "write_manifest",
    "write_packing_slips",
    "write_pick_list",
]

_DARK_RUN = re.compile("1+")
# Rectangle operators of 8-module pieces of QR rows, by (row from the bottom, first column, modules):
# at most 29 × 4 × 256 strings, and most pieces repeat from one code to the next.
_QR_RECTS: dict[tuple[int, int, str], str] = {}
LABEL_SIZE = (100 * mm, 150 * mm)  # the common 4×6 inch thermal label
SLIP_SIZE = A5
SHEET_SIZE = A4


# --- low-level page writer -------------------------------------------------------------------------


@contextlib.contextmanager
def _binary_streams():
    # reportlab reads this global when it creates streams; restoring it keeps other users unchanged.
    saved = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = saved


class _PageShared:
    """What every page of a writer has in common: parent, media box and one resource dictionary (the
    fonts and the forms it places), formatted once when the document is saved."""

    def __init__(self, width: float, height: float, doc, forms: tuple[str, ...]) -> None:
        self.box = f"[0 0 {pdfdoc.fp_str(width)} {pdfdoc.fp_str(height)}]".encode()
        self.resources = pdfdoc.PDFResourceDictionary()
        self.resources.basicFonts()
        self.resources.basicProcs()
        if forms:
            self.resources.XObject = doc.xobjDict(list(forms))
        self._head: bytes | None = None

    def head(self, document) -> bytes:
        if self._head is None:
            parent = document.Reference(document.Pages).format(document)
            resources = document.Reference(self.resources).format(document)
            self._head = b"<< /Type /Page /Parent %s /MediaBox %s /Resources %s /Contents " % (
                parent,
                self.box,
                resources,
            )
        return self._head


class _Stream(pdfdoc.PDFObject):
    """A content stream compressed already (FlateDecode)."""

    __RefOnly__ = 1

    def __init__(self, data: bytes) -> None:
        self.data = data

    def format(self, document) -> bytes:
        return b"<< /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream\n" % (len(self.data), self.data)


class _Page(pdfdoc.PDFObject):
    """A page as reportlab writes it (without its default ``/Rotate 0`` and empty ``/Trans``; the
    same content stream), formatted from bytes: reportlab's
    ``PDFPage`` builds and formats a resource dictionary and a stream object per page, about a third
    of a packing slip's time."""

    __RefOnly__ = 1

    def __init__(self, shared: _PageShared, data: bytes) -> None:
        self.shared = shared
        self.data = data

    def format(self, document) -> bytes:
        contents = document.Reference(_Stream(self.data)).format(document)
        return self.shared.head(document) + contents + b" >>"


class _Writer:
    """A reportlab canvas plus fast text: page text is collected as PDF operators and written once."""

    def __init__(self, out: BinaryIO, pagesize: tuple[float, float], title: str) -> None:
        self.font_name = register_font()
        self.font = pdfmetrics.getFont(self.font_name)
        self.canvas = rl_canvas.Canvas(out, pagesize=pagesize, invariant=1, pageCompression=1)
        self.canvas.setTitle(title)
        self.canvas.setCreator("foodbank-logistics")
        # The document object is what TrueType subsets are kept per (TTFont.splitString(text, doc)).
        self.doc = self.canvas._doc
        self.width, self.height = pagesize
        self.pages = 0
        self._ops: list[str] = []
        self._split = self.font.splitString
        self._subset_name = self.font.getSubsetInternalName
        self._string_width = self.font.stringWidth
        self._shared: dict[tuple[str, ...], _PageShared] = {}
        self._runs: dict[str, list[tuple[str, str]]] = {}

    def measure(self, text: str, size: float) -> float:
        return self._string_width(text, size)

    def text(self, x: float, y: float, size: float, text: str) -> None:
        if not text:
            return
        runs = self._runs.get(text)
        if runs is None:
            # A character keeps its subset and code once placed, so a string's runs never change
            # within the document: headings, quantities, dates and slots repeat on every page.
            runs = [
                (self._subset_name(subset, self.doc), escapePDF(chunk))
                for subset, chunk in self._split(text, self.doc)
            ]
            if len(self._runs) < 50_000:
                self._runs[text] = runs
        ops = self._ops
        name, chunk = runs[0]
        ops.append(f"{name} {size:g} Tf 1 0 0 1 {x:.2f} {y:.2f} Tm ({chunk}) Tj")
        for name, chunk in runs[1:]:
            ops.append(f"{name} {size:g} Tf ({chunk}) Tj")

    def text_right(self, x: float, y: float, size: float, text: str) -> None:
        self.text(x - self.measure(text, size), y, size, text)

    def text_center(self, x: float, y: float, size: float, text: str) -> None:
        self.text(x - self.measure(text, size) / 2, y, size, text)

    def qr(self, data: str, x: float, y: float, size: float) -> None:
        """A QR code of ``data`` with its lower-left corner at (x, y), ``size`` points wide: one path of
        rectangles, one per run of dark modules in each 8-module piece of a row (cached: most pieces
        repeat from one code to the next)."""
        rows = qr_rows(data)
        n = len(rows)
        parts = [f"q {size / n:.4f} 0 0 {size / n:.4f} {x:.2f} {y:.2f} cm"]
        cache = _QR_RECTS
        append = parts.append
        for r, row in enumerate(rows):
            yy = n - 1 - r
            for start in range(0, n, 8):
                key = (yy, start, row[start : start + 8])
                rects = cache.get(key)
                if rects is None:
                    rects = cache[key] = " ".join(
                        f"{start + run.start()} {yy} {run.end() - run.start()} 1 re"
                        for run in _DARK_RUN.finditer(key[2])
                    )
                if rects:
                    append(rects)
        append("f Q")
        self.canvas._code.append("\n".join(parts))

    def end_page(self) -> None:
        """Close the page without reportlab's page objects: its content stream is compressed here and
        the page is a pre-formatted dictionary sharing one resource dictionary (``_Page``)."""
        c = self.canvas
        if self._ops:
            c._code.append("BT\n" + "\n".join(self._ops) + "\nET")
            self._ops = []
        forms = tuple(dict.fromkeys(c._formsinuse))
        shared = self._shared.get(forms)
        if shared is None:
            shared = self._shared[forms] = _PageShared(self.width, self.height, self.doc, forms)
        content = "\n".join([c._preamble, *c._code, " "]) + "\n"  # as reportlab ends a page
        self.doc.addPage(_Page(shared, zlib.compress(content.encode("utf8"), 1)))
        c._code = []
        c._formsinuse = []
        self.pages += 1

    def static(self, name: str, draw) -> None:
        """Define a form XObject once (``draw(writer)`` draws it) for ``place``."""
        self.canvas.beginForm(name)
        draw(self)
        if self._ops:
            self.canvas.addLiteral("BT\n" + "\n".join(self._ops) + "\nET")
            self._ops = []
        self.canvas.endForm()

    def place(self, name: str) -> None:
        self.canvas.doForm(name)

    def save(self) -> None:
        self.canvas.save()


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


def _date(value: date | None) -> str:
    return value.strftime("%Y/%m/%d") if value else ""


def _slot(code: str) -> str:
    return str(TIME_SLOTS.get(code, code)) if code else ""


def _postal(raw: str) -> str:
    digits = "".join(c for c in raw if c.isdigit())
    return f"〒{digits[:3]}-{digits[3:]}" if len(digits) == 7 else raw


def _quantity(line: ContentLine) -> str:
    return f"× {line.quantity}{line.unit}"


# --- address labels (local carrier) ----------------------------------------------------------------

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


# --- packing slips ---------------------------------------------------------------------------------


def _slip_lines(parcel: ParcelData, s: dict) -> list[tuple[str, str, str]]:
    """(kind, left, right) lines of a slip's list: section headings, boxes to tick, notes."""
    notes = parcel.notes
    lines: list[tuple[str, str, str]] = []
    if notes.contents:
        lines.append(("heading", s["contents"], ""))
        lines.extend(("item", line.name, _quantity(line)) for line in notes.contents)
    if notes.extras:
        lines.append(("heading", s["extras"], ""))
        lines.extend(("item", line.name, _quantity(line)) for line in notes.extras)
    if notes.notes:
        lines.append(("heading", s["notes"], ""))
        lines.extend(("note", note, "") for note in notes.notes)
    return lines


NO_RESALE = "転売禁止"


def write_packing_slips(parcels: Iterable[ParcelData], out: BinaryIO, *, title: str = "") -> int:
    """One A5 page per parcel (a second page only when the list is very long): the reference as text
    and QR code (what the packing station's scanner reads), what goes in, allergies, no-cook."""
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
            lines = _slip_lines(parcel, s)
            top_first = top_next - 14 * mm - 10 * mm * (notes.no_cook + bool(notes.allergies))
            capacity_first = int((top_first - bottom) // line_height) + 1
            pages = 1 + max(0, -(-(len(lines) - capacity_first) // capacity_next))
            room = w - 2 * m - 30 * mm - 6 * mm
            reference_size = min(18.0, 18 * room / max(writer.measure(parcel.reference, 18), 1))
            cursor = 0
            for page in range(1, pages + 1):
                writer.place("slip")
                qr_size = 30 * mm
                writer.qr(parcel.reference, w - m - qr_size, h - m - qr_size, qr_size)
                # Left of the QR code, never into its quiet zone: long references get a smaller size.
                writer.text(m, h - m - 20 * mm, reference_size, parcel.reference)
                if pages > 1:
                    writer.text(
                        m,
                        h - m - 26 * mm,
                        9,
                        f"{page}/{pages}" + (f" ({s['continued']})" if page > 1 else ""),
                    )
                y = top_next
                capacity = capacity_next
                if page == 1:
                    writer.text(m, y, 12, f"{parcel.recipient_name} {parcel.honorific or '様'}")
                    y -= 6 * mm
                    when = " ".join(p for p in (_date(parcel.delivery_date), _slot(parcel.time_slot)) if p)
                    writer.text(m, y, 9, f"{s['ship']} {_date(parcel.ship_date)}   {s['delivery']} {when}")
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


# --- pick list -------------------------------------------------------------------------------------


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


# --- hand-over manifest ----------------------------------------------------------------------------


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


# --- benchmark hook --------------------------------------------------------------------------------


def benchmark_labels(n: int, out: BinaryIO) -> int:
    """Draw ``n`` labels of ``shipping.samples`` parcels: what bench/label_floor.py compares with raw
    reportlab drawing the same parcels."""
    from .samples import sample_account, sample_parcels

    return write_address_labels(sample_parcels(n), out, sender=sample_account().sender)
