"""Coordinators run their network from the console: organisations, windows (postal lookup, opening
hours, par levels, active), carrier accounts, pack types and recipe versions — each change audited,
and nothing of another food bank reachable by any id."""

import pytest
from django.test import Client
from django.urls import reverse

from foodbank.models import AuditEvent, Organisation, Site
from inventory.models import PackRecipe, PackType, ParLevel
from shipping.models import CarrierAccount
from tests.inventory.factories import ItemFactory, PackTypeFactory
from tests.shipping.integration import make_b2_account

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _window_form(organisation, **changes) -> dict:
    data = {
        "organisation": organisation.pk,
        "kind": "window",
        "name": "江別市生活相談窓口",
        # As people type it (full-width digits and hyphen); a city hall's own code (大口事業所).
        "postal_code": "０６７－８６７４",
        "address": "高砂町6",
        "building": "江別市役所 1階",
        "phone": "011-381-1011",
        "opening_hours": "平日 8:45–17:15",
        "active": "on",
    }
    data.update(changes)
    return data


def test_coordinator_adds_a_window_whose_area_comes_from_the_postal_code(network, coordinator):
    # Given the coordinator of food bank "fb"
    client = _client(coordinator)

    # When they add a window for agency A with a postal code typed in full-width digits
    response = client.post(reverse("console:site-new"), _window_form(network.agency_a))

    # Then the window exists with the municipality and bureau from Japan Post's data
    site = Site.objects.get(name="江別市生活相談窓口")
    assert response.status_code == 302
    assert response["Location"] == reverse("console:site", args=[site.pk])
    assert (site.food_bank_id, site.organisation_id, site.kind) == (
        network.food_bank.pk,
        network.agency_a.pk,
        "window",
    )
    assert (site.postal_code, site.municipality, site.regional_bureau) == ("0678674", "江別市", "ishikari")
    assert site.opening_hours == "平日 8:45–17:15"
    # and the change is in the audit log, naming fields and never their values
    event = AuditEvent.objects.get(object_type="site", object_id=str(site.pk))
    assert (event.action, event.actor, event.food_bank_id) == ("create", coordinator, network.food_bank.pk)
    assert "postal_code" in event.detail["fields"]
    assert "江別" not in str(event.detail)
    # and the site list shows it
    assert "江別市生活相談窓口" in client.get(reverse("console:sites")).content.decode()


def test_an_unknown_postal_code_is_refused_and_nothing_is_written(network, coordinator):
    client = _client(coordinator)
    before = (Site.objects.count(), AuditEvent.objects.count())

    response = client.post(reverse("console:site-new"), _window_form(network.agency_a, postal_code="0000000"))

    assert response.status_code == 400
    assert "郵便番号" in response.content.decode() or "postal code" in response.content.decode()
    assert (Site.objects.count(), AuditEvent.objects.count()) == before


def test_a_window_s_reading_is_saved_and_given_by_the_sites_api(network, coordinator):
    client = _client(coordinator)

    response = client.post(
        reverse("console:site-new"),
        _window_form(network.agency_a, name_kana=" エベツシ セイカツソウダンマドグチ "),
    )

    assert response.status_code == 302
    site = Site.objects.get(name="江別市生活相談窓口")
    assert site.name_kana == "エベツシ セイカツソウダンマドグチ"
    assert "name_kana" in AuditEvent.objects.get(object_type="site", object_id=str(site.pk)).detail["fields"]
    # the edit page shows it back, and the sites API gives it
    assert (
        "エベツシ セイカツソウダンマドグチ"
        in client.get(reverse("console:site", args=[site.pk])).content.decode()
    )
    api = Client()
    api.force_login(coordinator)
    assert api.get(f"/api/v1/sites/{site.pk}/").json()["name_kana"] == "エベツシ セイカツソウダンマドグチ"


@pytest.mark.parametrize("reading", ["えべつし", "Ebetsu", "ｴﾍﾞﾂｼ", "エベツ・シ"])
def test_a_reading_not_in_katakana_is_refused_on_its_field_and_nothing_is_written(
    network, coordinator, reading
):
    client = _client(coordinator)
    before = (Site.objects.count(), AuditEvent.objects.count())

    response = client.post(reverse("console:site-new"), _window_form(network.agency_a, name_kana=reading))

    assert response.status_code == 400
    assert response.context["form"].errors["name_kana"] == [
        "読み仮名は全角カタカナで入力してください（スペースと「ー」は使えます）。例：オタルシ シャキョウ"
    ]
    assert (Site.objects.count(), AuditEvent.objects.count()) == before

    # and changing an existing window's reading to it changes nothing either
    window = network.window_a
    response = client.post(
        reverse("console:site", args=[window.pk]),
        _window_form(network.agency_a, name=window.name, name_kana=reading),
    )
    assert response.status_code == 400
    window.refresh_from_db()
    assert (window.name_kana, window.name) == ("", "小樽窓口")
    assert (Site.objects.count(), AuditEvent.objects.count()) == before


def test_postal_lookup_answers_the_area(network, coordinator):
    client = _client(coordinator)

    found = client.get(reverse("console:postal-lookup"), {"code": "060-0001"})
    unknown = client.get(reverse("console:postal-lookup"), {"code": "0000000"})

    assert found.status_code == 200
    assert found.json()["municipality"] == "札幌市中央区"
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "unknown_postal_code"


def test_closing_a_window_and_setting_its_par_levels(network, coordinator):
    day1 = PackTypeFactory(food_bank=network.food_bank, code="day1", name="1日分セット", days=1)
    day3 = PackTypeFactory(food_bank=network.food_bank, code="day3", name="3日分セット", days=3)
    client = _client(coordinator)
    site = network.window_a

    response = client.post(
        reverse("console:site", args=[site.pk]),
        _window_form(network.agency_a, name=site.name, postal_code="047-0024", active=""),
    )
    assert response.status_code == 302
    site.refresh_from_db()
    assert site.active is False

    response = client.post(
        reverse("console:site-par-levels", args=[site.pk]), {f"par_{day1.pk}": 20, f"par_{day3.pk}": 8}
    )

    assert response.status_code == 302
    assert dict(ParLevel.objects.filter(site=site).values_list("pack_type__code", "par")) == {
        "day1": 20,
        "day3": 8,
    }
    event = AuditEvent.objects.get(object_type="par_levels", object_id=str(site.pk))
    assert event.detail == {"fields": ["day1", "day3"]}


def test_a_coordinator_of_another_food_bank_reaches_nothing_by_id(network, coordinator, other_coordinator):
    # Given objects of food bank "fb"
    account = make_b2_account(network.food_bank)
    pack_type = PackTypeFactory(food_bank=network.food_bank, code="day1", name="1日分", days=1)
    client = _client(other_coordinator)
    before = AuditEvent.objects.count()

    # When the other food bank's coordinator names them by id, to read or to change
    urls = [
        reverse("console:organisation", args=[network.agency_a.pk]),
        reverse("console:site", args=[network.window_a.pk]),
        reverse("console:site-par-levels", args=[network.window_a.pk]),
        reverse("console:carrier", args=[account.pk]),
        reverse("console:pack-type", args=[pack_type.pk]),
        reverse("console:pack-type-recipe", args=[pack_type.pk]),
        reverse("console:staff-member", args=[coordinator.pk]),
    ]
    answers = {
        url: (client.get(url).status_code, client.post(url, {"name": "乗っ取り"}).status_code) for url in urls
    }

    # Then every answer is 404 (405 for the method a route does not take) and nothing changed
    assert all(set(pair) <= {404, 405} and 404 in pair for pair in answers.values()), answers
    assert AuditEvent.objects.count() == before
    network.agency_a.refresh_from_db()
    assert network.agency_a.name == "小樽市社協"
    # And a window can't be put under the other food bank's agency: it's not a choice
    response = client.post(reverse("console:site-new"), _window_form(network.agency_a))
    assert response.status_code == 400
    assert not Site.objects.filter(name="江別市生活相談窓口").exists()


def test_other_roles_are_refused_the_console(network, window_staff_a, case_worker_a, volunteer):
    for user in (window_staff_a, case_worker_a, volunteer):
        client = _client(user)
        assert client.get(reverse("console:index")).status_code == 403
        assert (
            client.post(reverse("console:organisation-new"), {"name": "x", "kind": "npo"}).status_code == 403
        )
    assert not Organisation.objects.filter(name="x").exists()


def test_coordinator_adds_a_partner_organisation(network, coordinator):
    client = _client(coordinator)

    response = client.post(
        reverse("console:organisation-new"),
        {
            "name": "北広島市地域包括支援センター",
            "name_kana": "キタヒロシマシチイキホウカツシエンセンター",
            "kind": "community_support_center",
            "municipality": "北広島市",
            "active": "on",
        },
    )

    assert response.status_code == 302
    org = Organisation.objects.get(name="北広島市地域包括支援センター")
    assert (org.food_bank_id, org.kind, org.active, org.name_kana) == (
        network.food_bank.pk,
        "community_support_center",
        True,
        "キタヒロシマシチイキホウカツシエンセンター",
    )
    assert AuditEvent.objects.filter(
        object_type="organisation", object_id=str(org.pk), action="create"
    ).exists()
    # A partner can never be made a food bank (it would leave the tenant)
    response = client.post(
        reverse("console:organisation", args=[org.pk]), {"name": org.name, "kind": "food_bank"}
    )
    assert response.status_code == 400
    org.refresh_from_db()
    assert org.kind == "community_support_center"


def test_an_organisation_s_reading_in_hiragana_is_refused_and_nothing_is_written(network, coordinator):
    client = _client(coordinator)
    agency = network.agency_a
    before = AuditEvent.objects.count()

    response = client.post(
        reverse("console:organisation", args=[agency.pk]),
        {"name": agency.name, "name_kana": "おたるししゃきょう", "kind": agency.kind, "active": "on"},
    )

    assert response.status_code == 400
    assert "name_kana" in response.context["form"].errors
    agency.refresh_from_db()
    assert agency.name_kana == ""
    assert AuditEvent.objects.count() == before


def test_carrier_account_keeps_a_neutral_sender_name(network, coordinator):
    client = _client(coordinator)
    data = {
        "name": "ヤマト B2",
        "carrier": "yamato",
        "billing_customer_code": "011234567801",
        "freight_number": "01",
        "sender_name": "フードバンク北",
        "default_item_name": "食品",
        "cutoff": "15:30",
        "pickup_weekdays": "01234",
        "takes_requests": "on",
        "active": "on",
    }

    refused = client.post(reverse("console:carrier-new"), data)
    assert refused.status_code == 400
    assert not CarrierAccount.objects.exists()

    saved = client.post(reverse("console:carrier-new"), {**data, "sender_name": "SK物流センター"})
    assert saved.status_code == 302
    account = CarrierAccount.objects.get()
    assert (account.food_bank_id, account.sender_name, account.cutoff.isoformat()) == (
        network.food_bank.pk,
        "SK物流センター",
        "15:30:00",
    )
    assert AuditEvent.objects.filter(object_type="carrier_account", action="create").count() == 1


def test_pack_type_and_a_new_recipe_version(network, coordinator):
    noodles = ItemFactory(food_bank=network.food_bank, code="noodles", name="カップ麺")
    rice = ItemFactory(food_bank=network.food_bank, code="rice", name="パックご飯")
    client = _client(coordinator)

    response = client.post(
        reverse("console:pack-type-new"),
        {"code": "week2", "name": "2週間分", "days": 14, "sort_order": 5, "active": "on"},
    )
    pack_type = PackType.objects.get(food_bank=network.food_bank, code="week2")
    assert response.status_code == 302
    for quantities in ({noodles: 5, rice: 10}, {noodles: 6, rice: 10}):
        response = client.post(
            reverse("console:pack-type-recipe", args=[pack_type.pk]),
            {f"item_{i.pk}": q for i, q in quantities.items()} | {"note": ""},
        )
        assert response.status_code == 302

    versions = {
        r.version: dict(r.lines.values_list("item__code", "quantity"))
        for r in PackRecipe.objects.filter(pack_type=pack_type)
    }
    assert versions == {1: {"noodles": 5, "rice": 10}, 2: {"noodles": 6, "rice": 10}}
    assert AuditEvent.objects.filter(object_type="pack_recipe").count() == 2
