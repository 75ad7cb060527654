"""A token does not outlive the credential that issued it (issue #21, items 6 and 9): a password
change, a deactivation and a re-activation revoke every token of the user, whichever path made the
change; an integration user has no password login."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.test import APIClient

from foodbank import accounts, tokens
from foodbank.models import ApiToken

pytestmark = pytest.mark.django_db


def _me(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/me/").status_code


def _two_tokens(user) -> list[str]:
    return [tokens.issue_token(user=user, name=f"t{n}")[1] for n in range(2)]


def test_a_password_change_revokes_every_token(coordinator, window_staff_a):
    keys = _two_tokens(window_staff_a)
    assert [_me(k) for k in keys] == [200, 200]
    other = tokens.issue_token(user=coordinator, name="other")[1]

    revoked = accounts.change_password(
        user=window_staff_a, raw_password="a-new-long-password", changed_by=coordinator
    )

    assert revoked == 2
    assert [_me(k) for k in keys] == [401, 401]
    assert set(ApiToken.objects.filter(user=window_staff_a).values_list("revoked_by", flat=True)) == {
        coordinator.pk
    }
    # another user's token is untouched
    assert _me(other) == 200


def test_a_password_changed_in_the_admin_revokes_every_token(client, window_staff_a):
    keys = _two_tokens(window_staff_a)
    admin = get_user_model().objects.create_superuser("root", password="root-pw-for-tests")
    client.force_login(admin)

    response = client.post(
        f"/admin/auth/user/{window_staff_a.pk}/password/",
        {"password1": "Another-long-pw-42", "password2": "Another-long-pw-42", "usable_password": "true"},
    )

    assert response.status_code == 302
    assert [_me(k) for k in keys] == [401, 401]


def test_changepassword_and_a_plain_save_revoke_too(window_staff_a):
    # A shell or a script: set_password and save, no service call
    key = _two_tokens(window_staff_a)[0]
    window_staff_a.set_password("changed-in-a-shell")
    window_staff_a.save()

    assert _me(key) == 401


@pytest.mark.parametrize("path", ["service", "save"])
def test_a_deactivated_user_reactivated_gets_no_token_back(window_staff_a, coordinator, path):
    keys = _two_tokens(window_staff_a)

    # when the user is deactivated, then re-activated
    for active in (False, True):
        if path == "service":
            accounts.set_active(user=window_staff_a, active=active, changed_by=coordinator)
        else:
            window_staff_a.is_active = active
            window_staff_a.save()

    # then the tokens issued before stay dead; a new one works
    assert [_me(k) for k in keys] == [401, 401]
    assert not ApiToken.objects.filter(user=window_staff_a, revoked_at__isnull=True).exists()
    assert _me(tokens.issue_token(user=window_staff_a, name="new")[1]) == 200


def test_a_login_keeps_the_tokens(client, window_staff_a):
    # last_login is saved on every login: not a credential change
    key = _two_tokens(window_staff_a)[0]

    assert client.login(username="window_a", password="pw-for-tests")
    assert (
        client.post("/accounts/login/", {"username": "window_a", "password": "pw-for-tests"}).status_code
        == 302
    )

    assert _me(key) == 200


def test_an_integration_user_cannot_log_in_with_a_password(client, integration):
    # given the Navi user with a password (set by mistake, or from before) and a token
    key = tokens.issue_token(user=integration, name="Navi")[1]
    body = {"username": "navi", "password": "pw-for-tests"}

    # when it asks for a token or logs in with the password
    answer = APIClient().post("/api/v1/auth/token/", body, format="json")
    page = client.post("/accounts/login/", body)

    # then both are refused and no token is issued; its own token still works
    assert answer.status_code == 400
    assert page.status_code == 200  # the form again, with its error
    assert "_auth_user_id" not in client.session
    assert ApiToken.objects.filter(user=integration).count() == 1
    assert _me(key) == 200


def test_the_demo_navi_user_has_no_password_and_a_working_token(settings, capsys):
    settings.DEMO_PASSWORD = "a-shared-demo-password"
    call_command("load_demo_data")
    key = next(
        line.split(": ", 1)[1].strip()
        for line in capsys.readouterr().out.splitlines()
        if "Navi integration token" in line
    )

    navi = get_user_model().objects.get(username="navi")
    assert not navi.has_usable_password()
    answer = APIClient().post(
        "/api/v1/auth/token/", {"username": "navi", "password": "a-shared-demo-password"}, format="json"
    )
    assert answer.status_code == 400
    assert _me(key) == 200
