"""Reads of the coordinators' console, scoped to the coordinator's own food banks (docs/console.md).

Every queryset here starts from ``foodbank.selectors.coordinator_food_bank_ids(user)``: another food
bank's organisation, site, staff member, token or carrier account is simply not there (404).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import Prefetch, Q, QuerySet

from foodbank.models import TENANT_ROLES, ApiToken, Membership, Organisation, Role, Site
from foodbank.selectors import coordinator_food_bank_ids, has_role
from foodbank.types import Actor
from inventory.models import PackRecipe, PackType, ParLevel
from shipping.models import CarrierAccount

from .models import Invitation


def is_coordinator(user: Actor) -> bool:
    return has_role(user, Role.COORDINATOR)


def food_banks(user: Actor) -> QuerySet[Organisation]:
    return Organisation.objects.filter(pk__in=coordinator_food_bank_ids(user)).order_by("pk")


def partner_organisations(user: Actor) -> QuerySet[Organisation]:
    """The partner organisations (agencies, municipalities, pantry groups) of the user's food banks."""
    return Organisation.objects.filter(food_bank_id__in=coordinator_food_bank_ids(user)).select_related(
        "food_bank"
    )


def organisations(user: Actor) -> QuerySet[Organisation]:
    """The food banks themselves and their partners: what a membership or a site may belong to."""
    ids = coordinator_food_bank_ids(user)
    return Organisation.objects.filter(Q(pk__in=ids) | Q(food_bank_id__in=ids))


def sites(user: Actor) -> QuerySet[Site]:
    return Site.objects.filter(food_bank_id__in=coordinator_food_bank_ids(user)).select_related(
        "organisation"
    )


def par_levels(site: Site) -> dict[int, ParLevel]:
    return {p.pack_type_id: p for p in ParLevel.objects.filter(site=site)}


def staff(user: Actor) -> QuerySet[User]:
    """Accounts with a role (active or not) in one of the user's food banks."""
    ids = coordinator_food_bank_ids(user)
    # The network role is held at a food bank but is the installation's: not this food bank's staff.
    scoped = Membership.objects.filter(food_bank_id__in=ids, role__in=TENANT_ROLES).select_related(
        "organisation", "site"
    )
    return (
        get_user_model()
        .objects.filter(memberships__food_bank_id__in=ids, memberships__role__in=TENANT_ROLES)
        .distinct()
        .prefetch_related(Prefetch("memberships", queryset=scoped, to_attr="scoped_memberships"))
        .order_by("username")
    )


def memberships_in(user: Actor, staff_member: User) -> QuerySet[Membership]:
    return Membership.objects.filter(
        user=staff_member, food_bank_id__in=coordinator_food_bank_ids(user), role__in=TENANT_ROLES
    ).select_related("organisation", "site")


def tokens_of(staff_member: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=staff_member).order_by("-created_at")


def tokens(user: Actor) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user__in=staff(user).values("pk"))


def open_invitation(staff_member: User) -> Invitation | None:
    return (
        Invitation.objects.filter(user=staff_member, accepted_at__isnull=True, superseded_at__isnull=True)
        .order_by("-created_at")
        .first()
    )


def carrier_accounts(user: Actor) -> QuerySet[CarrierAccount]:
    return CarrierAccount.objects.filter(food_bank_id__in=coordinator_food_bank_ids(user))


def pack_types(user: Actor) -> QuerySet[PackType]:
    return PackType.objects.filter(food_bank_id__in=coordinator_food_bank_ids(user)).order_by(
        "food_bank_id", "sort_order", "code"
    )


def recipes(pack_type: PackType) -> list[PackRecipe]:
    return list(
        PackRecipe.objects.filter(pack_type=pack_type)
        .select_related("created_by")
        .prefetch_related("lines__item")
        .order_by("-version")
    )
