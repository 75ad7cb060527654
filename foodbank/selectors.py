"""Reads of the shared core, scoped to what a user may see (docs/spec.md §2).

Every app scopes its querysets through these functions rather than checking roles in views:
``memberships_for(user)`` is computed once per request and cached on the user object.
"""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from .models import TENANT_ROLES, AuditEvent, Membership, Organisation, ProvisionRecord, Role, Site
from .types import Actor

_CACHE_ATTR = "_foodbank_memberships"


def memberships_for(user: AbstractBaseUser | AnonymousUser) -> list[Membership]:
    """The user's active memberships, with organisation and site loaded (one query, cached)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user_id=user.pk, active=True, organisation__active=True)
            .select_related("organisation", "site")
            .order_by("role", "pk")
        )
        setattr(user, _CACHE_ATTR, cached)
    return cached


def remember_memberships(user: AbstractBaseUser, memberships: list[Membership]) -> None:
    """Hand ``memberships_for`` the user's memberships read by another query (the API token's
    lookup reads them in the same statement: ``foodbank.tokens.authenticate_key``). They must be
    exactly what ``memberships_for`` would read: active, of an active organisation, by role and pk."""
    setattr(user, _CACHE_ATTR, memberships)


def has_role(user: Actor, *roles: str) -> bool:
    return any(m.role in roles for m in memberships_for(user))


def _holds(m: Membership, roles: tuple[str, ...]) -> bool:
    # No roles named: any role that acts inside a food bank (the network role sees none of it).
    return m.role in roles if roles else m.role in TENANT_ROLES


def food_bank_ids(user: Actor, *roles: str) -> set[int]:
    """Tenants in which the user holds any of ``roles`` (any tenant role when none is given)."""
    return {m.food_bank_id for m in memberships_for(user) if _holds(m, roles)}


def organisation_ids(user: Actor, *roles: str) -> set[int]:
    return {m.organisation_id for m in memberships_for(user) if _holds(m, roles)}


def site_ids(user: Actor, *roles: str) -> set[int]:
    return {m.site_id for m in memberships_for(user) if m.site_id and _holds(m, roles)}


def coordinator_food_bank_ids(user: Actor) -> set[int]:
    return food_bank_ids(user, Role.COORDINATOR)


# A site is confidential when it is flagged itself or its organisation is (foodbank.models.Site).
CONFIDENTIAL_SITE = Q(confidential=True) | Q(organisation__confidential=True)


def publishable_sites(*, food_bank_id: int | None = None) -> QuerySet[Site]:
    """Windows that may be published: active, run by an active organisation, and neither the
    window nor its organisation confidential. Every public or shared directory reads this (the
    open-data CSV, the windows listed to case workers, the HSDS directory); never list windows
    from ``Site.objects`` directly. Every food bank's unless ``food_bank_id`` is given."""
    sites = Site.objects.filter(kind=Site.Kind.WINDOW, active=True, organisation__active=True).exclude(
        CONFIDENTIAL_SITE
    )
    if food_bank_id is not None:
        sites = sites.filter(food_bank_id=food_bank_id)
    return sites


def publishable_organisations(*, food_bank_id: int | None = None) -> QuerySet[Organisation]:
    """Organisations that may be named in a public directory: active and not confidential."""
    organisations = Organisation.objects.filter(active=True, confidential=False)
    if food_bank_id is not None:
        organisations = organisations.filter(Q(pk=food_bank_id) | Q(food_bank_id=food_bank_id))
    return organisations


def visible_sites(user: Actor) -> QuerySet[Site]:
    """Sites the user may see.

    Coordinators: every site of their food bank. Window staff: their own windows. Volunteers: the
    warehouses of their food bank (or the one warehouse their membership names). Case workers: the
    publishable windows of their food bank (``publishable_sites``: public information; a
    confidential window is not listed to them). Integrations: none.
    """
    condition = Q(pk__in=[])
    for m in memberships_for(user):
        if m.role == Role.COORDINATOR:
            condition |= Q(food_bank_id=m.food_bank_id)
        elif m.role == Role.WINDOW_STAFF:
            condition |= Q(pk=m.site_id)
        elif m.role == Role.VOLUNTEER:
            condition |= (
                Q(pk=m.site_id) if m.site_id else Q(food_bank_id=m.food_bank_id, kind=Site.Kind.WAREHOUSE)
            )
        elif m.role == Role.CASE_WORKER:
            condition |= Q(pk__in=publishable_sites(food_bank_id=m.food_bank_id).values("pk"))
    return Site.objects.filter(condition).select_related("organisation")


def visible_organisations(user: Actor) -> QuerySet[Organisation]:
    """Organisations of the user's food banks (names are not personal data)."""
    ids = food_bank_ids(user)
    return Organisation.objects.filter(Q(pk__in=ids) | Q(food_bank_id__in=ids))


def food_bank_of(organisation: Organisation) -> int:
    return organisation.food_bank_id_for_scope


def roles_summary(user: Actor) -> Iterable[dict[str, Any]]:
    for m in memberships_for(user):
        yield {
            "role": m.role,
            "organisation": m.organisation_id,
            "organisation_name": m.organisation.name,
            "site": m.site_id,
            "site_name": m.site.name if m.site else None,
            "food_bank": m.food_bank_id,
        }


def visible_audit_events(user: Actor) -> QuerySet[AuditEvent]:
    """Audit events a coordinator may search: those of their own food banks; nobody else's."""
    return AuditEvent.objects.filter(food_bank_id__in=coordinator_food_bank_ids(user))


def visible_provision_records(user: Actor) -> QuerySet[ProvisionRecord]:
    """Records of provision of the coordinator's own food banks."""
    return ProvisionRecord.objects.filter(food_bank_id__in=coordinator_food_bank_ids(user))
