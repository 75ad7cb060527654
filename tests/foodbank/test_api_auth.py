import pytest
from rest_framework.test import APIClient

from foodbank import tokens
from foodbank.models import ApiToken, Role
from foodbank.services import grant_role
from tests.helpers import make_actor

pytestmark = pytest.mark.django_db


def test_token_is_issued_for_valid_credentials_and_authenticates(coordinator):
    # Given a user with a password
    client = APIClient()

    # When they ask for a token
    response = client.post(
        "/api/v1/auth/token/", {"username": "coordinator", "password": "pw-for-tests"}, format="json"
    )

    # Then the token authenticates later requests
    assert response.status_code == 200
    token = response.json()["token"]
    stored = ApiToken.objects.get(user=coordinator)
    assert stored.key_hash == tokens.hash_key(token)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/me/").json()["username"] == "coordinator"


def test_wrong_password_gets_400_and_no_token(coordinator):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "coordinator", "password": "wrong"}, format="json"
    )

    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("path", ["/api/v1/me/", "/api/v1/sites/"])
def test_no_credentials_is_401(path, network):
    response = APIClient().get(path)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_bad_token_is_401(network):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert client.get("/api/v1/me/").status_code == 401


def test_me_lists_roles_with_their_scope(api, network, window_staff_a):
    response = api(window_staff_a).get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json()["username"] == "window_a"
    assert response.json()["roles"] == [
        {
            "role": "window_staff",
            "organisation": network.agency_a.pk,
            "organisation_name": "小樽市社協",
            "site": network.window_a.pk,
            "site_name": "小樽窓口",
            "food_bank": network.food_bank.pk,
        }
    ]


def _site_codes(client) -> list[str]:
    response = client.get("/api/v1/sites/")
    assert response.status_code == 200
    return sorted(site["code"] for site in response.json()["results"])


def test_coordinator_sees_every_site_of_their_food_bank_only(api, network, coordinator):
    assert _site_codes(api(coordinator)) == ["wh", "win-a", "win-b"]


def test_coordinator_of_another_food_bank_sees_only_theirs(api, network, other_coordinator):
    assert _site_codes(api(other_coordinator)) == ["win-other"]


def test_window_staff_see_only_their_window(api, network, window_staff_a):
    assert _site_codes(api(window_staff_a)) == ["win-a"]


def test_volunteer_sees_the_warehouses(api, network, volunteer):
    assert _site_codes(api(volunteer)) == ["wh"]


def test_case_worker_sees_active_windows_of_their_food_bank(api, network, case_worker_a):
    network.window_b.active = False
    network.window_b.save()

    assert _site_codes(api(case_worker_a)) == ["win-a"]


def test_integration_sees_no_site(api, network, integration):
    assert _site_codes(api(integration)) == []


def test_user_without_role_sees_nothing(api, network):
    from tests.factories import UserFactory

    assert _site_codes(api(UserFactory(username="nobody"))) == []


def test_site_of_another_window_is_404(api, network, window_staff_a):
    client = api(window_staff_a)

    assert client.get(f"/api/v1/sites/{network.window_a.pk}/").status_code == 200
    assert client.get(f"/api/v1/sites/{network.window_b.pk}/").status_code == 404


def test_site_shows_postal_code_as_text_with_hyphen(api, network, coordinator):
    site = api(coordinator).get(f"/api/v1/sites/{network.window_a.pk}/").json()

    assert site["postal_code"] == "047-0024"
    assert site["kind"] == "window"
    assert site["municipality"] == "小樽市"


def test_a_deactivated_membership_grants_nothing(api, network):
    user = make_actor("former", Role.COORDINATOR, network.food_bank)
    user.memberships.update(active=False)

    assert _site_codes(api(user)) == []


# The token, its user and the user's memberships are read in one query on every request, and kept
# nowhere between requests: each change below applies to the very next request of the same client.


def test_a_revoked_token_is_refused_at_its_next_request(api, network, window_staff_a):
    client = api(window_staff_a)
    assert client.get("/api/v1/me/").status_code == 200

    tokens.revoke_tokens(tokens=ApiToken.objects.filter(user=window_staff_a))

    assert client.get("/api/v1/me/").status_code == 401


def test_a_deactivated_user_is_refused_at_their_next_request(api, network, window_staff_a):
    client = api(window_staff_a)
    assert client.get("/api/v1/me/").status_code == 200

    # Straight in the table: the user's tokens stay unrevoked, the user's own flag refuses them.
    type(window_staff_a).objects.filter(pk=window_staff_a.pk).update(is_active=False)

    assert client.get("/api/v1/me/").status_code == 401


def test_a_role_taken_away_or_given_applies_to_the_next_request(api, network, window_staff_a):
    client = api(window_staff_a)
    assert _site_codes(client) == ["win-a"]

    window_staff_a.memberships.update(active=False)
    assert _site_codes(client) == []
    assert client.get("/api/v1/me/").json()["roles"] == []

    grant_role(
        user=window_staff_a, role=Role.WINDOW_STAFF, organisation=network.agency_b, site=network.window_b
    )
    assert _site_codes(client) == ["win-b"]


def test_a_deactivated_organisation_grants_nothing_at_the_next_request(api, network, coordinator):
    client = api(coordinator)
    assert _site_codes(client) == ["wh", "win-a", "win-b"]

    type(network.food_bank).objects.filter(pk=network.food_bank.pk).update(active=False)

    assert _site_codes(client) == []


def test_me_lists_every_role_of_a_user_with_several(api, network, window_staff_a):
    grant_role(
        user=window_staff_a, role=Role.WINDOW_STAFF, organisation=network.agency_b, site=network.window_b
    )
    grant_role(user=window_staff_a, role=Role.CASE_WORKER, organisation=network.agency_a)

    roles = api(window_staff_a).get("/api/v1/me/").json()["roles"]

    assert [(r["role"], r["site_name"]) for r in roles] == [
        ("case_worker", None),
        ("window_staff", "小樽窓口"),
        ("window_staff", network.window_b.name),
    ]
