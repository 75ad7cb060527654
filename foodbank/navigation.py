"""Links on the start page per role. Each app registers its own pages in its ``navigation`` module
(found by ``autodiscover``, as Django's admin finds ``admin`` modules), so the core imports no app.
A URL name that does not resolve (an app not installed) is left out."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _

from .models import Membership, Role


@dataclass(frozen=True)
class Link:
    label: str | Promise
    url_name: str
    # The link takes the membership's site id (a window's own page).
    with_site: bool = False
    # Place on the role's list, smallest first; apps leave gaps so others can slot in.
    order: int = 100


_LINKS: dict[str, list[Link]] = {}


def register(
    role: str, label: str | Promise, url_name: str, *, with_site: bool = False, order: int = 100
) -> None:
    """Add a start-page link for ``role``; registering the same URL name twice keeps one."""
    links = _LINKS.setdefault(role, [])
    if all(link.url_name != url_name or link.label != label for link in links):
        links.append(Link(label, url_name, with_site, order))


def autodiscover() -> None:
    """Import every installed app's ``navigation`` module (FoodbankConfig.ready)."""
    autodiscover_modules("navigation")


def links_for(membership: Membership) -> list[tuple[str | Promise, str]]:
    out: list[tuple[str | Promise, str]] = []
    for link in sorted(_LINKS.get(membership.role, []), key=lambda link: link.order):
        try:
            args = [membership.site_id] if link.with_site else []
            url = reverse(link.url_name, args=args)
        except NoReverseMatch:
            continue
        out.append((link.label, url))
    return out


# The core's own pages.
register(Role.COORDINATOR, _("Audit log"), "audit-log", order=200)
register(Role.COORDINATOR, _("Records of provision"), "provision-records", order=210)
register(Role.INTEGRATION, _("API documentation"), "api-docs", order=10)
