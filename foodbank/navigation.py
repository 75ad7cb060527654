"""Links on the start page per role. Apps add their pages here by URL name; a name that does not
resolve (an app not built yet) is left out."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from inventory import navigation as inventory
from referrals import navigation as referrals
from reports import navigation as reports
from shipping import navigation as shipping
from webhooks import navigation as webhooks

from .models import Membership, Role

# role -> [(label, url name, takes the membership's site id)]
LINKS: dict[str, list[tuple[str, str, bool]]] = {
    Role.COORDINATOR: [
        (inventory.OVERVIEW, "inventory:overview", False),
        (_("Administration"), "admin:index", False),
        (_("Triage of delivery requests"), "referrals:triage", False),
        (_("Delivery requests"), "referrals:request-list", False),
        (referrals.REFERRALS, "referrals:referral-list", False),
        (referrals.FEEDBACK, "referrals:feedback", False),
        (shipping.BATCHES, "shipping:batches", False),
        (shipping.PANTRY, "shipping:pantry", False),
        (reports.REPORT, "reports:report", False),
        (_("Audit log"), "audit-log", False),
        (_("Records of provision"), "provision-records", False),
        (webhooks.ENDPOINTS, "webhooks:endpoints", False),
    ],
    Role.WINDOW_STAFF: [
        (inventory.WINDOW, "inventory:window", True),
        (referrals.INBOX, "referrals:inbox", False),
    ],
    Role.CASE_WORKER: [
        (_("New delivery request"), "referrals:request-new", False),
        (_("Our delivery requests"), "referrals:request-list", False),
        (referrals.INBOX, "referrals:inbox", False),
        (webhooks.ENDPOINTS, "webhooks:endpoints", False),
    ],
    Role.VOLUNTEER: [(shipping.PACKING, "shipping:batches", False)],
    Role.INTEGRATION: [(_("API documentation"), "api-docs", False)],
}


def links_for(membership: Membership) -> list[tuple[str, str]]:
    out = []
    for label, name, with_site in LINKS.get(membership.role, []):
        try:
            url = reverse(name, args=[membership.site_id]) if with_site else reverse(name)
        except NoReverseMatch:
            continue
        out.append((label, url))
    return out
