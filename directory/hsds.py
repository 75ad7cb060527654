"""The network's consultation windows and food banks as Open Referral HSDS 3.0 objects, with the
small Japan profile of docs/directory.md.

- every food bank and every organisation that runs a published window is an ``organization``;
- every published window is a ``location`` (its address split as Japan writes it) and a
  ``service`` (emergency food handed out there) linked by a ``service_at_location``;
- opening hours become ``schedules``: weekly recurrence rules (RFC 5545 ``FREQ=WEEKLY;BYDAY=…``
  with ``opens_at``/``closes_at``) when the text reads exactly (``directory.hours``), otherwise
  one schedule that only carries the text.

Ids are UUIDs derived from our primary keys (``uuid5``): stable across calls and deploys. Only
``foodbank.selectors.publishable_sites()`` and ``publishable_organisations()`` are read: a
confidential window or organisation never appears.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.translation import override

from foodbank.geo import RegionalBureau
from foodbank.models import Organisation, Site
from foodbank.selectors import publishable_organisations, publishable_sites
from inventory.selectors import network_pack_stock

from . import hours
from .models import DirectoryPolicy

HSDS_VERSION = "3.0.1"
PROFILE_URL = "https://github.com/openreferral/specification/blob/3.0/docs/hsds/profiles.md"
NAMESPACE = uuid.UUID("6f6e1d2e-6a6f-4f7d-9c1a-66626f6f6462")
TIMEZONE_OFFSET = 9  # Asia/Tokyo, no daylight saving
CAPACITY_ROUNDING = 5
SERVICE_NAME = "緊急食料の配布（1日分・3日分セット）"
SERVICE_DESCRIPTION = (
    "相談窓口で、食べ物に困っている方に非常食のセット（1日分・3日分）をその場でお渡しします。"
    "まず窓口で相談してください。自宅への配送は、相談先の支援機関を通じてフードバンクに依頼できます。"
)


def hsds_id(kind: str, pk: int | str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{pk}"))


def local_government_code(code5: str) -> str:
    """JIS X 0402 five digits plus the check digit: the 全国地方公共団体コード (6 digits)."""
    if len(code5) != 5 or not code5.isdigit():
        return ""
    total = sum(int(d) * w for d, w in zip(code5, (6, 5, 4, 3, 2), strict=True))
    return code5 + str((11 - total % 11) % 10)


def bureau_name(code: str) -> str:
    if not code:
        return ""
    with override("ja"):
        label = str(RegionalBureau(code).label)
    # "Shiribeshi (後志総合振興局)": the Japanese name in the brackets
    return label[label.find("(") + 1 : label.rfind(")")] if "(" in label else label


@dataclass
class Directory:
    organizations: list[dict] = field(default_factory=list)
    services: list[dict] = field(default_factory=list)
    locations: list[dict] = field(default_factory=list)
    service_at_locations: list[dict] = field(default_factory=list)


def _schedules(site: Site, *, location_id: str, service_id: str) -> list[dict]:
    base = {"location_id": location_id, "service_id": service_id, "description": site.opening_hours}
    read = hours.parse(site.opening_hours) if site.opening_hours else None
    if read is None:
        return [{"id": hsds_id("schedule", f"{site.pk}:text"), **base}] if site.opening_hours else []
    return [
        {
            "id": hsds_id("schedule", f"{site.pk}:{i}"),
            **base,
            "freq": "WEEKLY",
            "wkst": "MO",
            "byday": ",".join(w.byday),
            "opens_at": w.opens_at,
            "closes_at": w.closes_at,
            "timezone": TIMEZONE_OFFSET,
            "jp_rrule": w.rrule,
        }
        for i, w in enumerate(read)
    ]


def _organization(org: Organisation) -> dict:
    out = {
        "id": hsds_id("organization", org.pk),
        "name": org.name,
        "jp_name_kana": org.name_kana or None,
        "description": str(org.get_kind_display()),
        "email": org.email or None,
        "phones": [{"id": hsds_id("organization-phone", org.pk), "number": org.phone}] if org.phone else [],
        "jp_organization_kind": org.kind,
        "jp_regional_bureau": org.regional_bureau or None,
        "jp_regional_bureau_name": bureau_name(org.regional_bureau) or None,
        "jp_food_bank_id": hsds_id("organization", org.food_bank_id) if org.food_bank_id else None,
    }
    if org.kind == Organisation.Kind.FOOD_BANK:
        out["description"] = "フードバンク：食品の寄贈を受け、相談窓口と支援機関を通じて届けます。"
    return out


def _address(site: Site, location_id: str) -> dict:
    return {
        "id": hsds_id("address", site.pk),
        "location_id": location_id,
        "address_1": site.address,
        "address_2": site.building or None,
        "city": site.municipality,
        "region": bureau_name(site.regional_bureau) or None,
        "state_province": site.prefecture,
        "postal_code": site.postal_code_display,
        "country": "JP",
        "address_type": "physical",
        "jp_local_government_code": local_government_code(site.municipality_code) or None,
        "jp_municipality_code": site.municipality_code or None,
        "jp_regional_bureau": site.regional_bureau or None,
    }


def _capacity(stock, at: datetime) -> list[dict]:
    return [
        {
            "pack_type": s.pack_type.code,
            "name": s.pack_type.name,
            "days": s.pack_type.days,
            "sets_on_hand_at_least": s.quantity // CAPACITY_ROUNDING * CAPACITY_ROUNDING,
            "rounded_down_to": CAPACITY_ROUNDING,
            "as_of": at.isoformat(),
        }
        for s in stock
    ]


def build(*, now: datetime | None = None) -> Directory:
    """The whole directory (every food bank's): a few queries whatever the number of windows."""
    now = now or timezone.now()
    sites = list(publishable_sites().select_related("organisation").order_by("food_bank_id", "pk"))
    shown_orgs = {s.organisation_id for s in sites} | {s.food_bank_id for s in sites}
    organisations = publishable_organisations().filter(pk__in=shown_orgs).order_by("pk")
    publishing = set(
        DirectoryPolicy.objects.filter(publish_capacity=True, food_bank_id__in=shown_orgs).values_list(
            "food_bank_id", flat=True
        )
    )
    stock: dict[int, list] = {}
    for food_bank_id in sorted(publishing):
        stock.update(
            network_pack_stock(food_bank_id, sites=[s for s in sites if s.food_bank_id == food_bank_id])
        )

    directory = Directory(organizations=[_organization(o) for o in organisations])
    known = {o["id"] for o in directory.organizations}
    for site in sites:
        org_id = hsds_id("organization", site.organisation_id)
        if org_id not in known:
            continue  # its organisation is not publishable
        location_id, service_id = hsds_id("location", site.pk), hsds_id("service", site.pk)
        sal_id = hsds_id("service_at_location", site.pk)
        schedules = _schedules(site, location_id=location_id, service_id=service_id)
        phones = [{"id": hsds_id("phone", site.pk), "location_id": location_id, "number": site.phone}]
        location = {
            "id": location_id,
            "location_type": "physical",
            "organization_id": org_id,
            "name": site.name,
            "jp_name_kana": site.name_kana or None,
            "addresses": [_address(site, location_id)],
            "phones": phones if site.phone else [],
            "schedules": schedules,
            "jp_food_bank_id": hsds_id("organization", site.food_bank_id),
        }
        service = {
            "id": service_id,
            "organization_id": org_id,
            "name": SERVICE_NAME,
            "description": SERVICE_DESCRIPTION,
            "status": "active",
            "fees_description": "無料",
            "schedules": schedules,
            "jp_food_bank_id": hsds_id("organization", site.food_bank_id),
        }
        if site.food_bank_id in publishing:
            service["jp_capacity"] = _capacity(stock.get(site.pk, []), now)
        directory.locations.append(location)
        directory.services.append(service)
        directory.service_at_locations.append(
            {"id": sal_id, "service_id": service_id, "location_id": location_id, "location": location}
        )
    return directory


def full_service(directory: Directory, service: dict) -> dict:
    """A service with its organization and service-at-locations embedded (HSDS ``/services/{id}``)."""
    organization = next(o for o in directory.organizations if o["id"] == service["organization_id"])
    sals = [s for s in directory.service_at_locations if s["service_id"] == service["id"]]
    return {**service, "organization": organization, "service_at_locations": sals}


def full_organization(directory: Directory, organization: dict) -> dict:
    """An organization with its locations and services (HSDS ``/organizations/{id}``)."""
    return {
        **organization,
        "locations": [loc for loc in directory.locations if loc["organization_id"] == organization["id"]],
        "services": [s for s in directory.services if s["organization_id"] == organization["id"]],
    }
