"""The dispatch rule in the console (docs/console.md, docs/journeys.md "Contents sized to the
household"): a coordinator reads and changes how their food bank sizes a home delivery; the change
is audited (which pack types, never the values) and the triage page shows the rule and sizes the
queue by it. Another food bank's pack types are not theirs to change."""

import pytest
from django.test import Client
from django.urls import reverse

from foodbank.models import AuditEvent
from inventory import services
from inventory.models import PackSizing
from tests.inventory.factories import PackTypeFactory
from tests.referrals.factories import file_request

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _rule_form(catalogue, **changes) -> dict:
    """The form as the page fills it in (the default rule), with ``changes`` by field name."""
    data = {}
    for pack_type in (catalogue.day1, catalogue.day3, catalogue.home):
        data[f"days_{pack_type.pk}"] = str(pack_type.days)
        data[f"box_{pack_type.pk}"] = "2"
    data.update(changes)
    return data


def test_the_coordinator_sees_the_rule_and_what_it_gives(network, catalogue, coordinator, settings):
    settings.PACKS_PER_BOX = 2

    response = _client(coordinator).get(reverse("console:dispatch-rule"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "<h1>配分ルール</h1>" in body
    # The rule as it stands: the home pack feeds one person a week, two to a box (the defaults)
    assert '<tr><th scope="row">家庭向けパック</th><td>7</td><td>2</td></tr>' in body
    assert '<tr><th scope="row">1日分セット</th><td>1</td><td>2</td></tr>' in body
    # And what it gives a family of five for 14 days
    assert "5人 × 14日分: 家庭向けパック × 10 (5箱)" in body
    assert f'name="days_{catalogue.home.pk}"' in body


def test_changing_the_rule_is_audited_and_sizes_the_triage_queue(
    network,
    catalogue,
    coordinator,
    case_worker_a,
):
    # Given a household of three asking for 7 days: 21 person-days, three home packs by default
    filed = file_request(case_worker_a, network.agency_a)
    client = _client(coordinator)
    triage = client.get(reverse("referrals:triage")).content.decode()
    assert "家庭向けパック × 3（2箱）" in triage
    assert "家庭向けパック＝7人日（1箱に2個まで）" in triage

    # When the coordinator says a home pack feeds a family of three for a week, four to a box
    response = client.post(
        reverse("console:dispatch-rule"),
        _rule_form(catalogue, **{f"days_{catalogue.home.pk}": "21", f"box_{catalogue.home.pk}": "4"}),
        follow=True,
    )

    # Then the rule is saved for that pack type only, and the page shows it
    assert response.status_code == 200
    assert "配分ルールを保存しました（1件変更）。" in response.content.decode()
    assert list(
        PackSizing.objects.values_list("food_bank_id", "pack_type__code", "person_days", "max_per_box")
    ) == [(network.food_bank.pk, "home", 21, 4)]
    assert '<tr><th scope="row">家庭向けパック</th><td>21</td><td>4</td></tr>' in response.content.decode()
    # One audit event naming the pack type that changed, not the numbers
    event = AuditEvent.objects.get(object_type="dispatch_rule")
    assert (event.actor, event.action, event.food_bank_id, event.object_id) == (
        coordinator,
        AuditEvent.Action.CHANGE,
        network.food_bank.pk,
        str(network.food_bank.pk),
    )
    assert event.detail == {"fields": ["home"]}
    # And the triage page shows the new rule, and the request now gets one home pack in one box
    triage = client.get(reverse("referrals:triage")).content.decode()
    assert "家庭向けパック＝21人日（1箱に4個まで）" in triage
    assert reverse("console:dispatch-rule") in triage
    assert f'id="r{filed.pk}"' in triage
    assert "家庭向けパック × 1 <span" in triage

    # Saving the same rule again changes nothing and records nothing
    client.post(
        reverse("console:dispatch-rule"),
        _rule_form(catalogue, **{f"days_{catalogue.home.pk}": "21", f"box_{catalogue.home.pk}": "4"}),
    )
    assert AuditEvent.objects.filter(object_type="dispatch_rule").count() == 1


def test_a_rule_of_zero_is_refused_and_nothing_is_written(network, catalogue, coordinator):
    response = _client(coordinator).post(
        reverse("console:dispatch-rule"),
        _rule_form(catalogue, **{f"days_{catalogue.home.pk}": "0", f"box_{catalogue.day1.pk}": "21"}),
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "この値は 1 以上でなければなりません。" in body
    assert not PackSizing.objects.exists()
    assert not AuditEvent.objects.filter(object_type="dispatch_rule").exists()


def test_another_food_banks_coordinator_cannot_change_this_rule(
    network,
    catalogue,
    other_coordinator,
):
    # Given the other food bank's own pack type
    theirs = PackTypeFactory(food_bank=network.other_food_bank, code="day1", name="南の1日分", days=1)
    client = _client(other_coordinator)

    # The page shows their own pack types only
    body = client.get(reverse("console:dispatch-rule")).content.decode()
    assert "南の1日分" in body
    assert "家庭向けパック" not in body

    # And naming this food bank's pack types in the form changes nothing of them
    response = client.post(
        reverse("console:dispatch-rule"),
        {
            f"days_{catalogue.home.pk}": "99",
            f"box_{catalogue.home.pk}": "9",
            f"days_{theirs.pk}": "1",
            f"box_{theirs.pk}": "2",
        },
    )
    assert response.status_code == 302
    assert not PackSizing.objects.filter(food_bank=network.food_bank).exists()
    assert not AuditEvent.objects.filter(object_type="dispatch_rule").exists()


def test_other_roles_are_refused_the_rule(network, catalogue, window_staff_a, case_worker_a, volunteer):
    for user in (window_staff_a, case_worker_a, volunteer):
        client = _client(user)
        assert client.get(reverse("console:dispatch-rule")).status_code == 403
        assert (
            client.post(
                reverse("console:dispatch-rule"), _rule_form(catalogue, **{f"days_{catalogue.home.pk}": "21"})
            ).status_code
            == 403
        )
    assert not PackSizing.objects.exists()


def test_an_allergen_free_alternative_is_on_the_rule_page_and_can_be_sized(network, catalogue, coordinator):
    # Given the home pack's allergen-free alternative (ordinary parcels never get it, so the
    # sizing leaves it out, but the coordinator still sets how far it goes)
    alternative = PackTypeFactory(
        food_bank=network.food_bank, code="home-noebi", name="えび不使用パック", days=7
    )
    services.set_pack_type_alternatives(pack_type=catalogue.home, alternatives=[alternative])
    client = _client(coordinator)

    # When the coordinator opens the rule page and sizes the alternative
    page = client.get(reverse("console:dispatch-rule"))
    saved = client.post(
        reverse("console:dispatch-rule"),
        {**_rule_form(catalogue), f"days_{alternative.pk}": "5", f"box_{alternative.pk}": "3"},
    )

    # Then the page lists it, and its sizing is saved
    assert page.status_code == 200
    assert '<tr><th scope="row">えび不使用パック</th><td>7</td>' in page.content.decode()
    assert saved.status_code == 302
    assert PackSizing.objects.filter(pack_type=alternative).values_list(
        "person_days", "max_per_box"
    ).get() == (5, 3)
