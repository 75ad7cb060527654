"""What a dispatch batch did about a household's allergies, kept on the request for its case worker
(docs/traceability.md, allergen-aware packing). Shipping hands it over as
``handover.AllergenPacking`` values; referrals owns the row."""

from collections.abc import Mapping, Sequence

from ..handover import AllergenPacking
from ..models import DeliveryRequest


def record_allergen_packing(*, packed: Mapping[int, Sequence[AllergenPacking]]) -> int:
    """Keep, on each request of ``packed`` (request id → what packing did, possibly nothing), what
    its parcel's packing did about the household's allergies, replacing what an earlier packing
    left (a parcel packed again after a correction or a re-booking). Called in shipping's
    transaction, after its parcels are locked (shipping's lock order parcel → request); one query
    to read, one UPDATE for the requests that change. Anonymised requests are left alone.
    Returns how many requests changed."""
    if not packed:
        return 0
    wanted = {pk: [note.to_stored() for note in notes] for pk, notes in packed.items()}
    changed = [
        DeliveryRequest(pk=pk, allergen_packing=wanted[pk])
        for pk, current in DeliveryRequest.objects.filter(pk__in=sorted(wanted), anonymised_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "allergen_packing")
        if current != wanted[pk]
    ]
    if changed:
        DeliveryRequest.objects.bulk_update(changed, ["allergen_packing"])
    return len(changed)
