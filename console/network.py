"""Changes coordinators make to their network: partner organisations, windows and warehouses with
their par levels, carrier accounts, pack types and their recipes. Each goes through the owning app's
service and leaves one audit event naming the fields that changed, never their values
(docs/console.md)."""

import secrets

from django.db import transaction

from foodbank import audit
from foodbank.models import AuditEvent, Organisation, Site
from foodbank.organisations import save_partner
from foodbank.services import upsert_site
from inventory import services as inventory
from inventory import sizing
from inventory.models import Item, PackType
from shipping.accounts import save_carrier_account

from .selectors import par_levels


def _record(*, by, created: bool, object_type: str, object_id, food_bank_id: int, fields, request=None):
    audit.record(
        actor=by,
        action=AuditEvent.Action.CREATE if created else AuditEvent.Action.CHANGE,
        object_type=object_type,
        object_id=object_id,
        food_bank_id=food_bank_id,
        request=request,
        detail={"fields": sorted(fields)},
    )


def new_code(prefix: str) -> str:
    """A stable code for a row made on a page (names are Japanese; codes are ASCII slugs)."""
    return f"{prefix}-{secrets.token_hex(4)}"


def save_organisation(
    *, by, food_bank: Organisation, instance: Organisation | None, fields: dict, changed, request=None
) -> Organisation:
    with transaction.atomic():
        organisation = save_partner(
            food_bank=food_bank,
            code=instance.code if instance else new_code("org"),
            instance=instance,
            **fields,
        )
        _record(
            by=by,
            created=instance is None,
            object_type="organisation",
            object_id=organisation.pk,
            food_bank_id=food_bank.pk,
            fields=changed,
            request=request,
        )
    return organisation


def save_site(*, by, instance: Site | None, fields: dict, changed, request=None) -> Site:
    """Create or change a window or warehouse; its municipality and regional bureau follow from
    the postal code (Japan Post data, ``foodbank.services.upsert_site``)."""
    organisation: Organisation = fields["organisation"]
    food_bank = instance.food_bank if instance else _food_bank_of(organisation)
    with transaction.atomic():
        site = upsert_site(
            code=instance.code if instance else new_code(fields["kind"]),
            food_bank=food_bank,
            **fields,
        )
        _record(
            by=by,
            created=instance is None,
            object_type="site",
            object_id=site.pk,
            food_bank_id=food_bank.pk,
            fields=changed,
            request=request,
        )
    return site


def _food_bank_of(organisation: Organisation) -> Organisation:
    if organisation.kind == Organisation.Kind.FOOD_BANK:
        return organisation
    return organisation.food_bank


def set_par_levels(*, by, site: Site, levels: dict[PackType, int], request=None) -> int:
    """Set the window's par level per pack type; returns how many changed."""
    with transaction.atomic():
        current = {pk: level.par for pk, level in par_levels(site).items()}
        # No row is the same as a par level of 0: saving zeros writes nothing.
        changed = [pt for pt, par in levels.items() if current.get(pt.pk, 0) != par]
        for pack_type in changed:
            inventory.set_par_level(site=site, pack_type=pack_type, par=levels[pack_type])
        if changed:
            _record(
                by=by,
                created=False,
                object_type="par_levels",
                object_id=site.pk,
                food_bank_id=site.food_bank_id,
                fields=[pt.code for pt in changed],
                request=request,
            )
    return len(changed)


def save_carrier(*, by, food_bank: Organisation, instance, fields: dict, changed, request=None):
    with transaction.atomic():
        account = save_carrier_account(food_bank=food_bank, instance=instance, **fields)
        _record(
            by=by,
            created=instance is None,
            object_type="carrier_account",
            object_id=account.pk,
            food_bank_id=food_bank.pk,
            fields=changed,
            request=request,
        )
    return account


def save_pack_type(
    *,
    by,
    food_bank: Organisation,
    instance: PackType | None,
    fields: dict,
    changed,
    request=None,
    alternatives=None,
) -> PackType:
    """``alternatives``: the allergen-free pack types a batch may pack instead (None: unchanged)."""
    with transaction.atomic():
        pack_type = inventory.upsert_pack_type(
            food_bank=food_bank, code=instance.code if instance else fields.pop("code"), **fields
        )
        if alternatives is not None:
            inventory.set_pack_type_alternatives(pack_type=pack_type, alternatives=list(alternatives))
        _record(
            by=by,
            created=instance is None,
            object_type="pack_type",
            object_id=pack_type.pk,
            food_bank_id=food_bank.pk,
            fields=changed,
            request=request,
        )
    return pack_type


def new_recipe_version(*, by, pack_type: PackType, lines: list[tuple[Item, int]], note: str, request=None):
    """A new version of the pack type's contents; packs made earlier keep theirs."""
    with transaction.atomic():
        recipe = inventory.set_pack_recipe(pack_type=pack_type, lines=lines, created_by=by, note=note)
        _record(
            by=by,
            created=True,
            object_type="pack_recipe",
            object_id=recipe.pk,
            food_bank_id=pack_type.food_bank_id,
            fields=[f"version:{recipe.version}"],
            request=request,
        )
    return recipe


def set_dispatch_rule(
    *, by, food_bank: Organisation, values: dict[PackType, tuple[int, int]], request=None
) -> int:
    """Set the food bank's sizing rule (person-days per pack, packs per box; docs/journeys.md
    "Contents sized to the household"); returns how many pack types' rule changed. Requests
    triaged and batches booked from now on follow it; parcels already booked keep their contents."""
    with transaction.atomic():
        changed = sizing.set_rule(food_bank_id=food_bank.pk, values=values)
        if changed:
            _record(
                by=by,
                created=False,
                object_type="dispatch_rule",
                object_id=food_bank.pk,
                food_bank_id=food_bank.pk,
                fields=[pt.code for pt in changed],
                request=request,
            )
    return len(changed)
