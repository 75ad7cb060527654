"""Allergen-free alternative packs on the slip (docs/traceability.md, allergen-aware packing): when
``inventory.services.reserve_stock_many`` reserved an alternative pack type for a household's
allergies, the parcel's contents name the alternative and a note tells the packer why."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _

from inventory import allergens as allergen_codes
from referrals import services as referral_services
from referrals.services import AllergenPacking

from .models import Parcel


def with_alternatives(packing: dict | None, alternatives: list[dict]) -> dict:
    """``packing`` with each line of a replaced pack type naming its alternative, and a note."""
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


def allergen_packing(
    alternatives: Iterable[Mapping[str, Any]],
    substitutions: Iterable[Mapping[str, Any]],
    names: Mapping[str, str],
) -> list[AllergenPacking]:
    """What packing did about a household's allergies, as the case worker is told it: the
    alternatives (``ReservedMany.alternatives`` of one parcel) and substitutions (``substitutions``;
    ``names``: pack type code → name)."""
    out = [
        AllergenPacking(
            kind=AllergenPacking.ALTERNATIVE,
            pack=alt["name"],
            alternative=alt["alternative_name"],
            allergens=tuple(alt["allergens"]),
        )
        for alt in alternatives
    ]
    out += [
        AllergenPacking(
            kind=AllergenPacking.UNCHECKED if sub.get("unknown") else AllergenPacking.SUBSTITUTION,
            pack=names.get(sub["sku"], sub["sku"]),
            allergens=tuple(sub["allergens"]),
        )
        for sub in substitutions
    ]
    return out


def tell_case_workers(packed: Mapping[int, list[AllergenPacking]]) -> None:
    """Hand what packing did about their allergies to the parcels' requests (parcel id → values;
    one query for the parcels' requests, and ``record_allergen_packing``'s). Call it with the
    parcels locked (shipping's lock order parcel → request)."""
    if not packed:
        return
    requests = dict(
        Parcel.objects.filter(pk__in=sorted(packed), delivery_request_id__isnull=False).values_list(
            "pk", "delivery_request_id"
        )
    )
    referral_services.record_allergen_packing(
        packed={request_id: packed[pk] for pk, request_id in requests.items()}
    )
