"""Repeated failed logins lock the username out for that client (django-axes), on the login page
and on the token endpoint; DRF throttles the token endpoint per client."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from rest_framework.test import APIClient

from foodbank.models import ApiToken

pytestmark = pytest.mark.django_db

LIMIT = 5


def _fail_page_logins(client, times: int, username: str = "window_a"):
    return [
        client.post("/accounts/login/", {"username": username, "password": "wrong"}).status_code
        for _ in range(times)
    ]


def test_login_page_locks_out_after_five_failures_even_the_right_password(client, window_staff_a):
    # Given four failed logins: the page still answers with the usual error
    assert _fail_page_logins(client, LIMIT - 1) == [200, 200, 200, 200]

    # When the fifth fails, and then the right password is tried
    fifth = client.post("/accounts/login/", {"username": "window_a", "password": "wrong"})
    right = client.post("/accounts/login/", {"username": "window_a", "password": "pw-for-tests"})

    # Then both are refused with a Japanese explanation, and nobody is logged in
    for response in (fifth, right):
        assert response.status_code == 429
        html = response.content.decode()
        assert "ログインの失敗が続いた" in html
        assert "30分" in html
        assert response["Retry-After"] == "1800"
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302


def test_a_lockout_does_not_touch_other_usernames(client, window_staff_a, window_staff_b):
    _fail_page_logins(client, LIMIT)

    response = client.post("/accounts/login/", {"username": "window_b", "password": "pw-for-tests"})

    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_login_works_again_after_the_cool_off(client, window_staff_a):
    # Given a lockout that started more than 30 minutes ago
    _fail_page_logins(client, LIMIT)
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=31)
    )

    # When the right password is tried
    response = client.post("/accounts/login/", {"username": "window_a", "password": "pw-for-tests"})

    # Then the user is in
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_success_before_the_limit_resets_the_count(client, window_staff_a):
    _fail_page_logins(client, LIMIT - 1)
    assert (
        client.post("/accounts/login/", {"username": "window_a", "password": "pw-for-tests"}).status_code
        == 302
    )
    client.post("/accounts/logout/")

    assert _fail_page_logins(client, LIMIT - 1) == [200, 200, 200, 200]


def _token(client, password: str):
    return client.post(
        "/api/v1/auth/token/", {"username": "coordinator", "password": password}, format="json"
    )


def test_token_endpoint_locks_out_with_json_and_issues_nothing(coordinator):
    client = APIClient()
    # Given four failures answered with the usual validation error
    assert [_token(client, "wrong").status_code for _ in range(LIMIT - 1)] == [400] * (LIMIT - 1)

    # When the fifth fails and the right password follows
    fifth = _token(client, "wrong")
    right = _token(client, "pw-for-tests")

    # Then both are 429 JSON with a machine-readable code, and no token exists
    for response in (fifth, right):
        assert response.status_code == 429
        assert response["Content-Type"] == "application/json"
        body = response.json()
        assert body["code"] == "login_locked_out"
        assert "30" in body["detail"]
    assert not ApiToken.objects.exists()


def test_token_endpoint_is_throttled_per_client(coordinator):
    # Given the default rate of 10 token requests a minute from one address
    client = APIClient()
    answers = [
        client.post(
            "/api/v1/auth/token/", {"username": "coordinator", "password": "pw-for-tests"}, format="json"
        ).status_code
        for _ in range(11)
    ]

    # Then the eleventh is refused with JSON
    assert answers == [200] * 10 + [429]
    refused = client.post(
        "/api/v1/auth/token/", {"username": "coordinator", "password": "pw-for-tests"}, format="json"
    )
    assert refused.json()["code"] == "throttled"
    assert "Retry-After" in refused
    assert ApiToken.objects.count() == 10


def test_other_endpoints_are_not_throttled(api, coordinator):
    client = api(coordinator)

    assert {client.get("/api/v1/me/").status_code for _ in range(15)} == {200}


def test_behind_a_proxy_the_lockout_is_per_client_address(client, window_staff_a, settings):
    # Given one trusted proxy in front of the web server, appending the client's address
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(LIMIT):
        client.post(
            "/accounts/login/",
            {"username": "window_a", "password": "wrong"},
            HTTP_X_FORWARDED_FOR="198.51.100.7",
        )

    # When the same username logs in from another client behind the same proxy
    elsewhere = client.post(
        "/accounts/login/",
        {"username": "window_a", "password": "pw-for-tests"},
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )

    # Then that client is not locked out, and the lockout names the real client
    assert elsewhere.status_code == 302
    assert AccessAttempt.objects.get().ip_address == "198.51.100.7"


def test_a_forged_x_forwarded_for_gets_no_fresh_throttle_bucket(coordinator):
    # Given no trusted proxy (TRUSTED_PROXY_COUNT=0: REMOTE_ADDR only) and a client that sends a
    # different X-Forwarded-For with each request
    client = APIClient()
    body = {"username": "coordinator", "password": "pw-for-tests"}
    answers = [
        client.post(
            "/api/v1/auth/token/", body, format="json", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        ).status_code
        for n in range(25)
    ]

    # Then the header is ignored: ten answered, the rest throttled, ten tokens issued
    assert answers == [200] * 10 + [429] * 15
    assert ApiToken.objects.count() == 10


def test_behind_one_proxy_only_the_address_it_appended_counts(coordinator, settings):
    # Given one trusted proxy, which appends the client's address to what the client sent
    settings.TRUSTED_PROXY_COUNT = 1
    client = APIClient()
    body = {"username": "coordinator", "password": "pw-for-tests"}

    def post(forwarded: str) -> int:
        return client.post(
            "/api/v1/auth/token/", body, format="json", HTTP_X_FORWARDED_FOR=forwarded
        ).status_code

    # When one client forges a different left part each time
    same_client = [post(f"10.0.0.{n}, 203.0.113.5") for n in range(11)]
    # Then it is throttled as one client, while another client behind the proxy is not
    assert same_client == [200] * 10 + [429]
    assert post("203.0.113.6") == 200
