"""Step 2: a chunk's parcels batched and their stock reserved (FEFO, avoiding allergens)."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from foodbank.lookups import AnyOf
from inventory import allergens
from inventory import services as inventory_services
from inventory.models import PackType
from inventory.services import StockNeed, Substitution

from .. import locks
from ..alternatives import allergen_packing, mark_alternatives, tell_case_workers
from ..models import DispatchBatch, Parcel
from .batches import _advance
from .bulk import _log_events

S = Parcel.Status

# A parcel as build_chunk locks it: (pk, reference, stock_needs, stock_reserved, packing).
ChunkRow = tuple[Any, ...]


def _reservation_reference(reference: str) -> str:
    return f"parcel:{reference}"  # Parcel.reservation_reference, without building the model


def build_chunk(*, batch_id: int, index: int) -> bool:
    """Step 2 for one chunk: move its parcels to ``batched`` and reserve their stock. Returns False
    when the chunk was done already. A fixed number of queries whatever the chunk's size.

    Locks the chunk row, then its parcels (pk order), then (in ``reserve_stock_many``) the
    reservations and the stock lots, then (for allergic households only) their delivery requests,
    to tell the case workers what packing did (``alternatives.tell_case_workers``). Parallel chunks
    wait for each other only on the lots, so everything else that does not need them is written
    before they are locked.
    """
    with transaction.atomic():
        chunk = locks.lock_chunk(batch_id, index)
        if chunk is None or chunk.done_at is not None:
            return False
        food_bank_id = DispatchBatch.objects.values_list("food_bank_id", flat=True).get(pk=batch_id)
        booked = Parcel.objects.filter(batch_id=batch_id, chunk=index, status=S.BOOKED)
        rows = locks.lock_parcel_rows(booked, "pk", "reference", "stock_needs", "stock_reserved", "packing")
        now = timezone.now()
        wanting = [(pk, ref, needs) for pk, ref, needs, reserved, _packing in rows if needs and not reserved]
        # The household's allergies as codes: lots that contain them are not packed for it.
        avoid = {
            ref: frozenset(
                allergens.avoided((packing or {}).get("allergens"), (packing or {}).get("allergies"))
            )
            for _pk, ref, _needs, _reserved, packing in rows
        }
        # One UPDATE of the chunk's parcels, before the lots are locked: batched, and reserved if
        # they need stock (the few the reservation below does not serve are set back).
        booked.update(
            status=S.BATCHED,
            stock_reserved=Case(
                When(AnyOf("pk", [pk for pk, _ref, _needs in wanting]), then=Value(True)),
                default=F("stock_reserved"),
            ),
        )
        _log_events(batch_id=batch_id, chunk=index, status=S.BATCHED, from_status=S.BOOKED, at=now)
        reserved: list[int] = []
        problems: dict[int, Sequence[Mapping[str, object]]] = {}
        if wanting:
            pack_types = PackType.objects.in_bulk({pt for _pk, _ref, needs in wanting for pt, _q in needs})
            try:
                warehouse = inventory_services.default_warehouse(food_bank_id)
            except Exception:  # no warehouse configured: nothing to reserve from
                warehouse = None
            if warehouse is None:
                problem = [{"sku": "", "requested": 0, "available": 0, "code": "no_warehouse"}]
                problems = {pk: problem for pk, _ref, _needs in wanting}
            else:
                lines = {
                    _reservation_reference(ref): [
                        StockNeed(pack_type=pack_types[pt], quantity=q, avoid=avoid.get(ref, frozenset()))
                        for pt, q in needs
                        if pt in pack_types
                    ]
                    for _pk, ref, needs in wanting
                }
                result = inventory_services.reserve_stock_many(
                    site=warehouse, needs={ref: need for ref, need in lines.items() if need}
                )
                for pk, ref, _needs in wanting:
                    key = _reservation_reference(ref)
                    if key in result.reserved:
                        reserved.append(pk)
                    elif key in result.shortages:
                        problems[pk] = result.shortages[key]
                rows = mark_alternatives(rows, result.alternatives)  # the slip names them
                _mark_substitutions(rows, result.substitutions, pack_types)
                # and the case worker who filed an allergic household's request sees it too.
                names = {pt.code: pt.name for pt in pack_types.values()}
                tell_case_workers(
                    {
                        pk: allergen_packing(
                            result.alternatives.get(key, []), result.substitutions.get(key, []), names
                        )
                        if (key := _reservation_reference(ref)) in result.reserved
                        else []
                        for pk, ref, _needs in wanting
                        if avoid.get(ref)
                    }
                )
        unserved = {pk for pk, _ref, _needs in wanting} - set(reserved)
        if unserved:
            Parcel.objects.filter(AnyOf("pk", sorted(unserved))).update(stock_reserved=False)
        if problems:
            Parcel.objects.bulk_update(
                [Parcel(pk=pk, stock_problem=problem) for pk, problem in problems.items()], ["stock_problem"]
            )
        chunk.done_at = now
        chunk.save(update_fields=["done_at"])
        DispatchBatch.objects.filter(pk=batch_id).update(chunks_done=F("chunks_done") + 1, updated_at=now)
        _advance(batch_id, now)
    return True


def _mark_substitutions(
    rows: Iterable[ChunkRow],
    substitutions: Mapping[str, list[Substitution]],
    pack_types: Mapping[object, PackType],
) -> None:
    """Tell the packer, on the slip, what to take out of a box whose only stock contains an allergen
    the household avoids (「えび含む食品を除く：…」); one UPDATE for the chunk."""
    names = {pt.code: pt.name for pt in pack_types.values()}
    changed = []
    for pk, ref, _needs, _reserved, packing in rows:
        subs = substitutions.get(_reservation_reference(ref))
        if not subs:
            continue
        packing = dict(packing or {})
        notes = list(packing.get("notes", []))
        for sub in subs:
            values = {
                "allergens": allergens.labels(sub["allergens"]),
                "pack": names.get(sub["sku"], sub["sku"]),
            }
            if sub.get("unknown"):
                note = (
                    _("Allergens not recorded for the %(pack)s: check its labels for %(allergens)s") % values
                )
            else:
                note = (
                    _("Without %(allergens)s: replace what contains %(allergens)s in the %(pack)s") % values
                )
            if note not in notes:
                notes.append(note)
        packing["notes"] = notes
        packing["substitutions"] = subs
        changed.append(Parcel(pk=pk, packing=packing))
    if changed:
        Parcel.objects.bulk_update(changed, ["packing"])


def _avoided(packing: Mapping[str, Any]) -> list[str]:
    """The codes a parcel's household avoids: those handed over (``PackingView.allergens``) and
    those its allergies text names (a parcel booked before the codes has only the text)."""
    return allergens.avoided(packing.get("allergens"), packing.get("allergies"))
