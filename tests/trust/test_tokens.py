"""Integration tokens: hashed at rest, revocable, expiring, shown once."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from foodbank import tokens
from foodbank.models import ApiToken

pytestmark = pytest.mark.django_db


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_an_issued_token_authenticates(integration):
    _token, key = tokens.issue_token(user=integration, name="Navi")

    response = _client(key).get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json()["username"] == "navi"


def test_a_revoked_token_is_401(integration, coordinator):
    token, key = tokens.issue_token(user=integration, name="Navi")
    assert _client(key).get("/api/v1/me/").status_code == 200

    revoked = tokens.revoke_tokens(tokens=ApiToken.objects.filter(pk=token.pk), revoked_by=coordinator)

    assert revoked == 1
    response = _client(key).get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    token.refresh_from_db()
    assert token.revoked_by == coordinator


def test_an_expired_token_is_401(integration):
    _token, key = tokens.issue_token(
        user=integration, name="Navi", expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert _client(key).get("/api/v1/me/").status_code == 401


def test_a_token_of_a_deactivated_user_is_401(integration):
    _token, key = tokens.issue_token(user=integration, name="Navi")
    integration.is_active = False
    integration.save()

    assert _client(key).get("/api/v1/me/").status_code == 401


@pytest.mark.parametrize("tamper", ["prefix", "secret"])
def test_a_key_with_a_changed_character_is_401(integration, tamper):
    _token, key = tokens.issue_token(user=integration, name="Navi")
    prefix, secret = key.split(".")
    if tamper == "prefix":
        key = f"{prefix[:-1]}{'A' if prefix[-1] != 'A' else 'B'}.{secret}"
    else:
        key = f"{prefix}.{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}"

    assert _client(key).get("/api/v1/me/").status_code == 401


def test_the_database_holds_no_key(coordinator):
    # Given a token issued through the API (as a script run by a person does)
    key = (
        APIClient()
        .post("/api/v1/auth/token/", {"username": "coordinator", "password": "pw-for-tests"}, format="json")
        .json()["token"]
    )
    secret = key.split(".", 1)[1]

    # When the token table is dumped
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM foodbank_apitoken")
        dump = repr(cursor.fetchall())

    # Then neither the key nor its secret part is in it, only the hash
    assert key not in dump
    assert secret not in dump
    assert tokens.hash_key(key) in dump


def test_each_login_issues_a_new_token_that_expires(coordinator, settings):
    settings.API_TOKEN_TTL_DAYS = 30
    client = APIClient()
    body = {"username": "coordinator", "password": "pw-for-tests"}

    first = client.post("/api/v1/auth/token/", body, format="json").json()["token"]
    second = client.post("/api/v1/auth/token/", body, format="json").json()["token"]

    assert first != second
    assert ApiToken.objects.filter(user=coordinator).count() == 2
    token = ApiToken.objects.get(prefix=first.split(".")[0])
    assert token.name == "API login"
    assert timedelta(days=29, hours=23) < token.expires_at - timezone.now() <= timedelta(days=30)


def test_last_used_is_written_at_most_once_a_minute(integration, django_assert_num_queries):
    token, key = tokens.issue_token(user=integration, name="Navi")
    client = _client(key)

    client.get("/api/v1/me/")
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None

    # A second request within the minute reads the token, its user and the memberships in one
    # query (joined), and writes nothing.
    with django_assert_num_queries(1):
        client.get("/api/v1/me/")
    token.refresh_from_db()
    assert token.last_used_at == first_use

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first_use - timedelta(minutes=2))
    client.get("/api/v1/me/")
    token.refresh_from_db()
    assert token.last_used_at > first_use


def test_issue_token_command_prints_the_key_once_and_stores_its_hash(integration):
    out, err = StringIO(), StringIO()

    call_command(
        "issue_token", "navi", "--name", "Navi production", "--expires-days", "365", stdout=out, stderr=err
    )

    key = out.getvalue().strip()
    token = ApiToken.objects.get()
    assert token.name == "Navi production"
    assert token.key_hash == tokens.hash_key(key)
    assert key.startswith(token.prefix + ".")
    assert token.expires_at is not None
    assert key not in err.getvalue()
    assert _client(key).get("/api/v1/me/").status_code == 200


def test_admin_revoke_action(client, integration):
    from tests.factories import UserFactory

    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    token, key = tokens.issue_token(user=integration, name="Navi")
    client.force_login(admin)

    response = client.post(
        "/admin/foodbank/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )

    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.revoked_by == admin
    assert _client(key).get("/api/v1/me/").status_code == 401


def test_demo_data_prints_the_same_navi_token_every_run(settings):
    settings.DEMO_PASSWORD = "demo-pass-for-this-test"
    first, second = StringIO(), StringIO()

    call_command("load_demo_data", stdout=first)
    call_command("load_demo_data", stdout=second)

    line = next(line for line in first.getvalue().splitlines() if "Navi integration token" in line)
    assert line in second.getvalue()
    key = line.rsplit(" ", 1)[1]
    assert ApiToken.objects.count() == 1
    assert _client(key).get("/api/v1/me/").json()["username"] == "navi"


def test_issue_token_refuses_an_unknown_user(network):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("issue_token", "ghost", "--name", "x", stdout=StringIO(), stderr=StringIO())
    assert not ApiToken.objects.exists()
