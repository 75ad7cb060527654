"""The low-level page writer the batch documents share: pages written as pre-formatted dictionaries
with compressed streams, one shared resource dictionary, text straight from the font's subset
encoding, QR codes as rectangles; and the small formatters every document uses.
"""

import contextlib
import re
import zlib
from datetime import date
from typing import BinaryIO

from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.rl_accel import escapePDF
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfgen import canvas as rl_canvas

from ..carriers.base import TIME_SLOTS
from ..fonts import register_font
from ..qr import rows as qr_rows

_DARK_RUN = re.compile("1+")


# Rectangle operators of 8-module pieces of QR rows, by (row from the bottom, first column, modules):
# at most 29 × 4 × 256 strings, and most pieces repeat from one code to the next.
_QR_RECTS: dict[tuple[int, int, str], str] = {}


SHEET_SIZE = A4


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


def _date(value: date | None) -> str:
    return value.strftime("%Y/%m/%d") if value else ""


def _slot(code: str) -> str:
    return str(TIME_SLOTS.get(code, code)) if code else ""


def _postal(raw: str) -> str:
    digits = "".join(c for c in raw if c.isdigit())
    return f"〒{digits[:3]}-{digits[3:]}" if len(digits) == 7 else raw
