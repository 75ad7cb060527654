"""The Japanese TrueType font embedded in every PDF (labels printers have no Japanese fonts).

Where the font comes from, first found wins:

1. ``settings.PDF_FONT_PATH`` (environment variable ``PDF_FONT_PATH``) when set. A set path that
   does not exist is an error, never silently replaced by another font.
2. The ``matplotlib-fontja`` package (a dependency, so ``pip install`` brings it on any machine with
   only Python): it ships IPAexGothic (ipaexg.ttf, IPA Font License) with TrueType outlines. The file
   is located without importing the package (which would import matplotlib).
3. Debian's ``fonts-ipaexfont-gothic`` (the Docker image installs it).

reportlab embeds TrueType (glyf) outlines only; an OpenType font with CFF outlines (``OTTO``, e.g.
Noto Sans CJK .otf) is refused with a clear message. The font is registered once per process.
"""

import importlib.util
import os
import threading
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from shipping.exceptions import FontNotFound

__all__ = ["DEBIAN_FONT_PATHS", "FONT_NAME", "font_path", "missing_glyphs", "register_font"]

FONT_NAME = "FoodbankGothic"
DEBIAN_FONT_PATHS = (
    Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"),
    Path("/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf"),
)
_PACKAGE_FONT = ("matplotlib_fontja", Path("fonts") / "ipaexg.ttf")
_lock = threading.Lock()


def _configured_path() -> str:
    if settings.configured:
        return getattr(settings, "PDF_FONT_PATH", "") or ""
    return os.environ.get("PDF_FONT_PATH", "")


def _package_font() -> Path | None:
    package, relative = _PACKAGE_FONT
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / relative
        if candidate.is_file():
            return candidate
    return None


def _check_truetype(path: Path) -> Path:
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic == b"OTTO":
        raise FontNotFound(
            _(
                "%(path)s has CFF (PostScript) outlines, which reportlab cannot embed; "
                "use a TrueType font such as IPAexGothic (ipaexg.ttf)."
            )
            % {"path": path}
        )
    if magic not in (b"\x00\x01\x00\x00", b"true"):
        raise FontNotFound(_("%(path)s is not a TrueType font file.") % {"path": path})
    return path


def font_path() -> Path:
    """The font file to embed; raises ``FontNotFound`` saying what was tried."""
    return _resolve(_configured_path())


@lru_cache(maxsize=4)
def _resolve(configured: str) -> Path:
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise FontNotFound(
                _("PDF_FONT_PATH is set to %(path)s, but there is no file there.") % {"path": path}
            )
        return _check_truetype(path)
    candidates = [p for p in (_package_font(), *DEBIAN_FONT_PATHS) if p is not None]
    for path in candidates:
        if path.is_file():
            return _check_truetype(path)
    raise FontNotFound(
        _(
            "No Japanese TrueType font found for PDFs. Install the project's dependencies (matplotlib-fontja "
            "ships IPAexGothic), or the Debian package fonts-ipaexfont-gothic, or set PDF_FONT_PATH "
            "to a .ttf file. Tried: %(tried)s"
        )
        % {"tried": ", ".join(str(p) for p in candidates) or "-"}
    )


_registered_path: str | None = None


def register_font() -> str:
    """Register the font with reportlab once per process (again only if the path changes)."""
    global _registered_path
    path = str(font_path())
    if _registered_path != path:
        with _lock:
            if _registered_path != path:
                pdfmetrics.registerFont(TTFont(FONT_NAME, path))
                _registered_path = path
    return FONT_NAME


def missing_glyphs(text: str) -> list[str]:
    """Characters of ``text`` that the registered font cannot draw (they would print as empty boxes)."""
    face = pdfmetrics.getFont(register_font()).face
    char_to_glyph = face.charToGlyph
    missing: list[str] = []
    for char in text:
        if char not in missing and ord(char) not in char_to_glyph and char not in "\r\n\t":
            missing.append(char)
    return missing
