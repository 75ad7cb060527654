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

One module per document: ``labels`` (with the benchmark hook), ``slips``, ``pick_list``,
``manifest``; the page writer they share is ``_writer``. The public names are re-exported here.
"""

from .labels import (
    LABEL_SIZE,
    address_labels_pdf,
    benchmark_labels,
    label_layout_problems,
    write_address_labels,
)
from .manifest import manifest_pdf, write_manifest
from .pick_list import PickRow, pick_list_pdf, pick_list_rows, write_pick_list
from .slips import packing_slips_pdf, write_packing_slips

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
