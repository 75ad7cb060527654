import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.forms.models import model_to_dict

from foodbank import postal
from foodbank.models import ApiToken, Membership, Organisation, Role, Site
from foodbank.validators import validate_katakana_reading

pytestmark = pytest.mark.django_db


def _snapshot():
    User = get_user_model()
    return {
        "organisations": [model_to_dict(o) for o in Organisation.objects.order_by("pk")],
        "sites": [model_to_dict(s) for s in Site.objects.order_by("pk")],
        "memberships": [model_to_dict(m) for m in Membership.objects.order_by("pk")],
        "users": list(User.objects.order_by("pk").values("username", "password", "is_staff", "is_superuser")),
        "tokens": list(ApiToken.objects.order_by("pk").values("user_id", "name", "prefix", "key_hash")),
    }


def test_demo_data_runs_twice_without_changing_anything():
    call_command("load_demo_data", quiet=True)
    first = _snapshot()

    call_command("load_demo_data", quiet=True)

    assert _snapshot() == first


def test_demo_network_has_what_the_readme_promises(settings):
    settings.DEMO_PASSWORD = "a-shared-demo-password"
    call_command("load_demo_data", quiet=True)

    food_banks = Organisation.objects.filter(kind=Organisation.Kind.FOOD_BANK)
    assert food_banks.count() == 1
    warehouse = Site.objects.get(kind=Site.Kind.WAREHOUSE)
    assert warehouse.municipality.startswith("札幌市")

    windows = Site.objects.filter(kind=Site.Kind.WINDOW)
    assert windows.count() >= 5
    assert len({w.municipality for w in windows}) == windows.count()
    for site in Site.objects.all():
        area = postal.lookup(site.postal_code)
        assert area is not None, site.postal_code
        assert area.municipality == site.municipality
        assert site.regional_bureau
    # every window and organisation has a reading for the directory, and a valid one
    for named in [*Site.objects.all(), *Organisation.objects.all()]:
        assert named.name_kana, named.name
        validate_katakana_reading(named.name_kana)

    roles = {(m.user.username, m.role) for m in Membership.objects.select_related("user")}
    assert {
        ("coordinator", Role.COORDINATOR),
        ("window_sapporo", Role.WINDOW_STAFF),
        ("window_otaru", Role.WINDOW_STAFF),
        ("caseworker_sapporo", Role.CASE_WORKER),
        ("caseworker_ebetsu", Role.CASE_WORKER),
        ("volunteer", Role.VOLUNTEER),
        ("navi", Role.INTEGRATION),
    } <= roles
    window_sites = Membership.objects.filter(role=Role.WINDOW_STAFF).values_list("site", flat=True)
    assert len(set(window_sites)) == 2
    agencies = Membership.objects.filter(role=Role.CASE_WORKER).values_list("organisation", flat=True)
    assert len(set(agencies)) == 2

    User = get_user_model()
    for user in User.objects.exclude(username="navi"):
        assert user.check_password("a-shared-demo-password"), user.username
    # the integration signs in with its token only
    assert not User.objects.get(username="navi").has_usable_password()
