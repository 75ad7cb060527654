"""Allergen-free alternative packs on the slip (docs/traceability.md, allergen-aware packing): when
``inventory.services.reserve_stock_many`` reserved an alternative pack type for a household's
allergies, the parcel's contents name the alternative and a note tells the packer why."""

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _

from .models import Parcel


def with_alternatives(packing: dict | None, alternatives: list[dict]) -> dict:
    """``packing`` with each line of a replaced pack type naming its alternative, and a note."""
    from inventory import allergens as allergen_codes

    packing = dict(packing or {})
    by_code = {alt["sku"]: alt for alt in alternatives}
    contents = []
    for line in packing.get("contents", []):
        alt = by_code.get(line.get("pack_type"))
        if alt is not None:
            line = {
                **line,
                "name": alt["alternative_name"],
                "pack_type": alt["alternative"],
                "code": alt["alternative"],
            }
        contents.append(line)
    packing["contents"] = contents
    notes = list(packing.get("notes", []))
    for alt in alternatives:
        note = _("Without %(allergens)s: %(alternative)s instead of %(pack)s") % {
            "allergens": allergen_codes.labels(alt["allergens"]),
            "alternative": alt["alternative_name"],
            "pack": alt["name"],
        }
        if note not in notes:
            notes.append(note)
    packing["notes"] = notes
    packing["alternatives"] = alternatives
    return packing


def mark_alternatives(
    rows: list[tuple], alternatives: Mapping[str, Sequence[Mapping[str, Any]]]
) -> list[tuple]:
    """Write the alternatives into the packing of the chunk's parcels (``rows`` as ``build_chunk``
    locked them: pk, reference, stock_needs, stock_reserved, packing; one UPDATE). Returns the rows
    with their new packing, for the substitution notes that follow."""
    if not alternatives:
        return rows
    out, changed = [], []
    for pk, ref, needs, reserved, packing in rows:
        alts = alternatives.get(f"parcel:{ref}")
        if alts:
            packing = with_alternatives(packing, alts)
            changed.append(Parcel(pk=pk, packing=packing))
        out.append((pk, ref, needs, reserved, packing))
    if changed:
        Parcel.objects.bulk_update(changed, ["packing"])
    return out
