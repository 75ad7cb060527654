"""The installation's platform view: the food banks of the network, each with its coordinators and
its size, and the network's figures of one fiscal year — aggregates only, with the open-data rule
for small counts (1 or 2 shown as "<3", ``reports.tables``). For the installation's superuser and
the holders of the network role (docs/console.md)."""

from dataclasses import dataclass

from django.db.models import Count, Q

from foodbank.models import Membership, Organisation, Role, Site
from foodbank.selectors import has_role

from .selectors import MONTHLY_FIELDS, monthly_report
from .tables import SMALLEST_SHOWN, SUPPRESSED


def shown(value: int) -> int | str:
    """A count of people's visits or parcels as it may be published: 1 and 2 are "<3"."""
    return SUPPRESSED if 0 < value < SMALLEST_SHOWN else value


@dataclass(frozen=True)
class FoodBankRow:
    food_bank: Organisation
    coordinators: list[str]
    windows: int
    partners: int
    figures: dict[str, int | str]  # the fiscal year's totals, small counts suppressed


def may_read(user) -> bool:
    """The installation's superuser, or a holder of the network role (``Role.NETWORK``, granted by
    the superuser in the admin): the network's aggregates, never what is inside a food bank."""
    if not (user.is_authenticated and user.is_active):
        return False
    return bool(user.is_superuser or has_role(user, Role.NETWORK))


def network_overview(fiscal_year: int) -> tuple[list[FoodBankRow], dict[str, int | str]]:
    """One row per food bank and the network's totals for ``fiscal_year``."""
    food_banks = list(
        Organisation.objects.filter(kind=Organisation.Kind.FOOD_BANK)
        .annotate(
            windows=Count(
                "network_sites",
                filter=Q(network_sites__kind=Site.Kind.WINDOW, network_sites__active=True),
                distinct=True,
            ),
            partner_count=Count("partners", filter=Q(partners__active=True), distinct=True),
        )
        .order_by("name")
    )
    coordinators: dict[int, list[str]] = {}
    for fb_id, first, last, username in (
        Membership.objects.filter(role=Role.COORDINATOR, active=True, user__is_active=True)
        .values_list("food_bank_id", "user__first_name", "user__last_name", "user__username")
        .order_by("user__username")
    ):
        coordinators.setdefault(fb_id, []).append(f"{last} {first}".strip() or username)
    rows = []
    for fb in food_banks:
        totals = monthly_report([fb.pk], fiscal_year)["totals"]
        rows.append(
            FoodBankRow(
                food_bank=fb,
                coordinators=coordinators.get(fb.pk, []),
                windows=fb.windows,
                partners=fb.partner_count,
                figures={key: shown(totals[key]) for key in MONTHLY_FIELDS},
            )
        )
    network = monthly_report(None, fiscal_year)["totals"]
    return rows, {key: shown(network[key]) for key in MONTHLY_FIELDS}
