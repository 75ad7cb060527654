"""The HSDS 3.0 directory: valid against the vendored HSDS schemas, every window round-trips,
nothing confidential, anonymous and cacheable."""

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from directory.hours import parse
from directory.models import DirectoryPolicy
from foodbank.models import Organisation, Site
from foodbank.selectors import publishable_sites
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

SCHEMAS = Path(__file__).resolve().parents[2] / "directory" / "hsds_schema"
BASE = "/api/hsds/"


def _registry() -> Registry:
    resources = [
        (p.name, Resource.from_contents(json.loads(p.read_text()), default_specification=DRAFT202012))
        for p in SCHEMAS.glob("*.json")
    ]
    return Registry().with_resources(resources)


REGISTRY = _registry()


def validate(kind: str, obj: dict) -> None:
    schema = REGISTRY.contents(f"{kind}.json")
    validator = Draft202012Validator(schema, registry=REGISTRY, format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


@pytest.fixture
def windows(network):
    """Three more windows: hours in two parts, hours as free text, and a confidential one."""
    two_parts = SiteFactory(
        code="win-sat",
        organisation=network.agency_a,
        food_bank=network.food_bank,
        name="小樽窓口（土曜）",
        opening_hours="平日 9:00～17:00 土 9:00–12:00",
    )
    free_text = SiteFactory(
        code="win-text",
        organisation=network.agency_b,
        food_bank=network.food_bank,
        name="旭川出張窓口",
        opening_hours="毎月第2火曜 10時から",
        phone="",
    )
    hidden = SiteFactory(
        code="win-hidden", organisation=network.agency_a, food_bank=network.food_bank, name="非公開の窓口"
    )
    Site.objects.filter(pk=hidden.pk).update(confidential=True)
    return two_parts, free_text, hidden


def _all(client, path):
    response = client.get(BASE + path, {"per_page": 500})
    assert response.status_code == 200
    return response.json()


def test_the_directory_validates_against_the_hsds_3_schemas(client, network, windows):
    organizations = _all(client, "organizations/")
    services = _all(client, "services/")
    sals = _all(client, "service_at_locations/")

    assert organizations["total_items"] == 5  # two food banks, three agencies
    for org in organizations["contents"]:
        validate("organization", org)
        validate("organization", client.get(f"{BASE}organizations/{org['id']}/").json())
    for service in services["contents"]:
        validate("service", service)
        for sal in service["service_at_locations"]:
            validate("service_at_location", sal)
            validate("location", sal["location"])
            for schedule in sal["location"]["schedules"]:
                validate("schedule", schedule)
            for address in sal["location"]["addresses"]:
                validate("address", address)
    for sal in sals["contents"]:
        validate("service_at_location", sal)


def test_every_published_window_round_trips_and_a_confidential_one_is_absent(client, network, windows):
    two_parts, _free_text, hidden = windows
    locations = {
        sal["location"]["name"]: sal["location"] for sal in _all(client, "service_at_locations/")["contents"]
    }

    # every publishable window is there once, and nothing else
    published = list(publishable_sites())
    assert sorted(locations) == sorted(s.name for s in published)
    assert hidden.name not in locations
    assert "非公開" not in json.dumps(_all(client, "services/"), ensure_ascii=False)
    # and each reads back to the window's own fields
    for site in published:
        location = locations[site.name]
        (address,) = location["addresses"]
        assert address["postal_code"].replace("-", "") == site.postal_code
        assert (address["state_province"], address["city"], address["country"]) == (
            site.prefecture,
            site.municipality,
            "JP",
        )
        assert location.get("jp_name_kana", "") == site.name_kana
        assert address["address_1"] == site.address
        assert address.get("address_2", "") == site.building
        assert address.get("jp_municipality_code", "") == site.municipality_code
        if site.municipality_code:
            assert address["jp_local_government_code"][:5] == site.municipality_code
        assert [p["number"] for p in location["phones"]] == ([site.phone] if site.phone else [])
        read = parse(site.opening_hours)
        if read is None:
            assert [s["description"] for s in location["schedules"]] == [site.opening_hours]
            assert all("freq" not in s for s in location["schedules"])
        else:
            assert [
                (s["byday"].split(","), s["opens_at"], s["closes_at"]) for s in location["schedules"]
            ] == [(list(w.byday), w.opens_at, w.closes_at) for w in read]
    # the two-part hours are two weekly rules
    assert [s["jp_rrule"] for s in locations[two_parts.name]["schedules"]] == [
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        "FREQ=WEEKLY;BYDAY=SA",
    ]


def test_the_japan_profile_fields(client, network):
    (sal,) = [
        s for s in _all(client, "service_at_locations/")["contents"] if s["location"]["name"] == "旭川窓口"
    ]
    (address,) = sal["location"]["addresses"]
    assert address["jp_local_government_code"] == "012041"  # 01204 旭川市 and its check digit
    assert address["jp_regional_bureau"] == "kamikawa"
    assert address["region"] == "上川総合振興局"


def test_a_reading_is_published_where_recorded_and_absent_elsewhere(client, network, windows):
    # Given window A and its agency have readings; window B, its agency and the food bank have none
    Site.objects.filter(pk=network.window_a.pk).update(name_kana="オタル マドグチ")
    Organisation.objects.filter(pk=network.agency_a.pk).update(name_kana="オタルシシャキョウ")

    organizations = {o["name"]: o for o in _all(client, "organizations/")["contents"]}
    services = _all(client, "services/")["contents"]
    locations = {
        sal["location"]["name"]: sal["location"] for sal in _all(client, "service_at_locations/")["contents"]
    }

    # Then the organizations, services and service-at-locations answers carry them, schema-valid
    assert organizations["小樽市社協"]["jp_name_kana"] == "オタルシシャキョウ"
    assert locations["小樽窓口"]["jp_name_kana"] == "オタル マドグチ"
    (service,) = [s for s in services if s["service_at_locations"][0]["location"]["name"] == "小樽窓口"]
    assert service["organization"]["jp_name_kana"] == "オタルシシャキョウ"
    assert service["service_at_locations"][0]["location"]["jp_name_kana"] == "オタル マドグチ"
    one = client.get(f"{BASE}organizations/{organizations['小樽市社協']['id']}/").json()
    assert {loc["name"]: loc.get("jp_name_kana") for loc in one["locations"]}["小樽窓口"] == "オタル マドグチ"
    validate("organization", organizations["小樽市社協"])
    validate("organization", one)
    validate("service", service)
    validate("location", locations["小樽窓口"])
    # and where none is recorded the field is absent: no empty string, no null
    assert "jp_name_kana" not in locations["函館窓口"]
    assert "jp_name_kana" not in organizations[network.agency_b.name]
    assert "jp_name_kana" not in organizations[network.food_bank.name]
    raw = client.get(BASE + "services/", {"per_page": 500}).content.decode()
    assert '"jp_name_kana": ""' not in raw
    assert '"jp_name_kana": null' not in raw


def test_capacity_only_where_the_food_bank_publishes_it(client, network):
    from tests.inventory.factories import PackTypeFactory
    from tests.inventory.helpers import put_stock

    assert all("jp_capacity" not in s for s in _all(client, "services/")["contents"])

    # given the food bank publishes capacity and window A holds 13 three-day sets
    day3 = PackTypeFactory(food_bank=network.food_bank, code="day3", name="3日分セット", days=3)
    put_stock(network.window_a, pack_type=day3, quantity=13)
    DirectoryPolicy.objects.create(food_bank=network.food_bank, publish_capacity=True)

    services = {
        s["service_at_locations"][0]["location"]["name"]: s for s in _all(client, "services/")["contents"]
    }

    (capacity,) = services["小樽窓口"]["jp_capacity"]
    assert (capacity["pack_type"], capacity["sets_on_hand_at_least"], capacity["rounded_down_to"]) == (
        "day3",
        10,
        5,
    )
    assert capacity["as_of"]
    # the other food bank did not choose to publish
    assert "jp_capacity" not in services["函館窓口"]


def test_anonymous_read_only_and_cacheable(client, network):
    response = client.get(BASE + "organizations/")

    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300"
    again = client.get(BASE + "organizations/", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert client.post(BASE + "organizations/").status_code == 405
    assert client.get(BASE + "organizations/00000000-0000-0000-0000-000000000000/").status_code == 404
