"""Registering, rotating and revoking webhook endpoints: the API (tokens) and the page."""

import pytest

from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhook-endpoints/"
BODY = {"url": "https://cases.example.org/hooks/foodbank", "events": ["delivery_request.shipped"]}


def test_the_secret_is_shown_once_and_a_retry_does_not_register_twice(api, network, case_worker_a):
    client = api(case_worker_a)

    # when the agency's system registers an endpoint, and retries with the same key
    first = client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="reg-1")
    again = client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="reg-1")

    # then one endpoint of agency A exists; its secret was in the first answer only
    assert first.status_code == 201, first.json()
    answer = first.json()
    assert answer["secret"].startswith("whsec_")
    assert (answer["agency"], answer["events"], answer["active"]) == (
        network.agency_a.pk,
        ["delivery_request.shipped"],
        True,
    )
    assert again.status_code == 201
    assert again.json()["secret"] is None
    assert WebhookEndpoint.objects.count() == 1
    # and reading it back never shows the secret
    assert "secret" not in client.get(f"{URL}{answer['id']}/").json()
    # and the database keeps it encrypted
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM webhooks_webhookendpoint")
        assert answer["secret"] not in cursor.fetchone()[0]


def test_rotation_gives_a_new_secret_and_the_old_one_still_signs_for_a_day(api, network, case_worker_a):
    from webhooks import sending

    created = api(case_worker_a).post(URL, BODY, format="json").json()

    rotated = api(case_worker_a).post(f"{URL}{created['id']}/rotate-secret/")

    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new != created["secret"]
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.secret, endpoint.previous_secret) == (new, created["secret"])
    from django.utils import timezone

    header = sending.signature(endpoint, event_id="evt_dr_1", at=timezone.now(), body=b"{}")
    assert len(header.split(" ")) == 2  # both secrets sign during the overlap


@pytest.mark.parametrize(
    ("url", "events"),
    [
        ("http://cases.example.org/hook", ["delivery_request.shipped"]),  # not HTTPS
        ("https://cases.example.org/hook", ["delivery_request.teleported"]),
        ("https://cases.example.org/hook", []),
        # addresses inside our own network (metadata service, loopback, private, mapped IPv4)
        ("https://169.254.169.254/latest/meta-data/", ["delivery_request.shipped"]),
        ("https://127.0.0.1:6379/", ["delivery_request.shipped"]),
        ("https://localhost/hook", ["delivery_request.shipped"]),
        ("https://10.1.2.3/hook", ["delivery_request.shipped"]),
        ("https://[::ffff:192.168.0.1]/hook", ["delivery_request.shipped"]),
    ],
)
def test_a_bad_endpoint_is_400_and_nothing_is_registered(api, network, case_worker_a, url, events):
    response = api(case_worker_a).post(URL, {"url": url, "events": events}, format="json")

    assert response.status_code == 400
    assert not WebhookEndpoint.objects.exists()


def test_agencies_see_only_their_own_endpoints_and_coordinators_their_food_banks(
    api, network, case_worker_a, case_worker_b, coordinator, other_coordinator, volunteer
):
    mine = api(case_worker_a).post(URL, BODY, format="json").json()
    theirs = api(case_worker_b).post(URL, BODY, format="json").json()

    assert [e["id"] for e in api(case_worker_a).get(URL).json()] == [mine["id"]]
    assert api(case_worker_b).get(f"{URL}{mine['id']}/").status_code == 404
    assert api(case_worker_b).delete(f"{URL}{mine['id']}/").status_code == 404
    assert sorted(e["id"] for e in api(coordinator).get(URL).json()) == sorted([mine["id"], theirs["id"]])
    assert api(other_coordinator).get(URL).json() == []
    assert api(volunteer).get(URL).status_code == 403
    assert WebhookEndpoint.objects.filter(revoked_at__isnull=True).count() == 2


def test_a_case_worker_registers_rotates_and_revokes_on_the_page(
    client, network, case_worker_a, case_worker_b
):
    client.force_login(case_worker_a)

    # when the case worker registers an endpoint on the page
    response = client.post(
        "/webhooks/",
        {
            "agency": network.agency_a.pk,
            "url": "https://cases.example.org/hook",
            "events": ["delivery_request.approved", "delivery_request.shipped"],
        },
    )

    # then the page shows the secret, this once
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret in response.content.decode()
    assert (endpoint.agency, endpoint.events) == (
        network.agency_a,
        ["delivery_request.approved", "delivery_request.shipped"],
    )
    detail = client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert "https://cases.example.org/hook" in detail
    assert endpoint.secret not in detail
    # and a rotation shows the new one
    rotated = client.post(f"/webhooks/{endpoint.pk}/rotate/").content.decode()
    endpoint.refresh_from_db()
    assert endpoint.secret in rotated
    # and agency B's case worker cannot open it
    other = type(client)()
    other.force_login(case_worker_b)
    assert other.get(f"/webhooks/{endpoint.pk}/").status_code == 404
    assert other.post(f"/webhooks/{endpoint.pk}/revoke/").status_code == 404
    # and revoking it on the page stops it
    assert client.post(f"/webhooks/{endpoint.pk}/revoke/").status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.revoked_at is not None


def test_an_http_address_is_refused_on_the_page(client, network, case_worker_a):
    client.force_login(case_worker_a)

    response = client.post(
        "/webhooks/",
        {
            "agency": network.agency_a.pk,
            "url": "http://cases.example.org/hook",
            "events": ["delivery_request.approved"],
        },
    )

    assert response.status_code == 400
    assert not WebhookEndpoint.objects.exists()
