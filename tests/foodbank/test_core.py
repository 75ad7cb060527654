import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from foodbank import postal
from foodbank.geo import bureau_for_municipality_code
from foodbank.models import Membership, Organisation, Role
from foodbank.services import grant_role, upsert_site
from tests.factories import UserFactory


@pytest.mark.parametrize(
    ("code", "bureau"),
    [
        ("01101", "ishikari"),  # 札幌市中央区
        ("01203", "shiribeshi"),  # 小樽市
        ("01230", "iburi"),  # 登別市
        ("01208", "okhotsk"),  # 北見市
        ("01408", "shiribeshi"),  # 余市町
        ("01645", "tokachi"),  # 十勝の町
        ("01694", "nemuro"),  # 羅臼町
        ("13101", ""),  # 東京都千代田区
    ],
)
def test_regional_bureau_from_municipality_code(code, bureau):
    assert bureau_for_municipality_code(code) == bureau


@pytest.mark.parametrize("raw", ["060-0001", "0600001", "〒060-0001", "０６０－０００１", " 060 0001 "])
def test_postal_codes_are_normalised_and_looked_up(raw):
    area = postal.lookup(raw)

    assert area.postal_code == "0600001"
    assert area.municipality == "札幌市中央区"
    assert area.regional_bureau == "ishikari"


def test_unknown_postal_code_is_none_and_malformed_is_an_error():
    assert postal.lookup("0000000") is None
    with pytest.raises(ValueError, match="seven digits"):
        postal.lookup("06-0001")


@pytest.mark.django_db
def test_site_address_comes_from_the_postal_code(network):
    site = upsert_site(
        code="win-noboribetsu",
        food_bank=network.food_bank,
        organisation=network.agency_a,
        kind="window",
        name="登別窓口",
        postal_code="059-0025",
        address="大和町1-1",
    )

    assert (site.municipality, site.municipality_code, site.regional_bureau) == ("登別市", "01230", "iburi")


@pytest.mark.django_db
def test_site_with_unknown_postal_code_is_refused_and_not_written(network):
    with pytest.raises(ValidationError):
        upsert_site(
            code="bad",
            food_bank=network.food_bank,
            organisation=network.agency_a,
            kind="window",
            name="x",
            postal_code="0000000",
            address="x",
        )

    assert not network.agency_a.sites.filter(code="bad").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "org", "site"),
    [
        (Role.WINDOW_STAFF, "agency_a", None),  # window staff need a window
        (Role.WINDOW_STAFF, "agency_b", "window_a"),  # … of their own organisation
        (Role.COORDINATOR, "agency_a", None),  # coordinators belong to the food bank
        (Role.CASE_WORKER, "food_bank", None),  # case workers belong to an agency
        (Role.VOLUNTEER, "food_bank", "window_a"),  # volunteers work in a warehouse
    ],
)
def test_roles_outside_their_scope_are_refused(network, role, org, site):
    user = UserFactory(username="x")

    with pytest.raises(ValidationError):
        grant_role(
            user=user,
            role=role,
            organisation=getattr(network, org),
            site=getattr(network, site) if site else None,
        )

    assert not Membership.objects.filter(user=user).exists()


@pytest.mark.django_db
def test_database_refuses_a_partner_without_food_bank():
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(code="orphan", name="orphan", kind=Organisation.Kind.NPO)
