"""Staff accounts from the console: invitation by a one-time, expiring link (no password shown or
mailed), deactivation that takes effect at once (sessions and API tokens), tokens shown once and
revocable, and the Django admin for the superuser only."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from console.models import Invitation
from foodbank.models import ApiToken, AuditEvent, Membership
from tests.helpers import api_client_for, make_actor

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "kita-no-mado-2026"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _invite(client, network, capture, **changes):
    data = {
        "full_name": "石狩 花子",
        "username": "ishikari_hanako",
        "email": "hanako@example.jp",
        "role": "window_staff",
        "organisation": network.agency_a.pk,
        "site": network.window_a.pk,
    }
    data.update(changes)
    with capture(execute=True):
        return client.post(reverse("console:staff-invite"), data)


def _link() -> str:
    (message,) = mail.outbox
    return re.search(r"https?://\S+/console/invitation/\S+/", message.body).group(0)


def test_an_invitation_link_sets_the_password_once(network, coordinator, django_capture_on_commit_callbacks):
    # Given the coordinator invites a window staff member
    response = _invite(_client(coordinator), network, django_capture_on_commit_callbacks)

    # Then the account exists with the role and no usable password, and one email went out
    user = User.objects.get(username="ishikari_hanako")
    assert response.status_code == 302
    assert not user.has_usable_password()
    assert Membership.objects.filter(
        user=user, role="window_staff", site=network.window_a, active=True
    ).exists()
    (message,) = mail.outbox
    assert message.to == ["hanako@example.jp"]
    link = _link()
    path = link.split("testserver", 1)[1]
    # The link's secret is not stored, only its hash
    secret = path.rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get(user=user)
    assert secret not in str(Invitation.objects.filter(pk=invitation.pk).values().get())
    assert AuditEvent.objects.filter(object_type="staff", object_id=str(user.pk), action="create").exists()

    # When the person opens the link and sets their own password
    person = Client()
    assert person.get(path).status_code == 200
    response = person.post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD})

    # Then they can sign in with it, and the link never works again
    assert response.status_code == 200
    assert reverse("login") in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert person.get(path).status_code == 404
    assert (
        person.post(
            path, {"new_password1": "another-pw-2026!", "new_password2": "another-pw-2026!"}
        ).status_code
        == 404
    )
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    login = Client().post(
        reverse("login"), {"username": "ishikari_hanako", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )
    assert login.status_code == 302
    # And no password was ever mailed
    assert PASSWORD not in mail.outbox[0].body


def test_an_invitation_link_expires(network, coordinator, settings, django_capture_on_commit_callbacks):
    settings.INVITATION_TTL_HOURS = 72
    _invite(_client(coordinator), network, django_capture_on_commit_callbacks)
    path = _link().split("testserver", 1)[1]
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = Client().post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD})

    assert response.status_code == 404
    assert not User.objects.get(username="ishikari_hanako").has_usable_password()


def test_a_new_link_replaces_the_old_one(network, coordinator, django_capture_on_commit_callbacks):
    client = _client(coordinator)
    _invite(client, network, django_capture_on_commit_callbacks)
    old = _link().split("testserver", 1)[1]
    user = User.objects.get(username="ishikari_hanako")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("console:staff-resend", args=[user.pk]))

    new = _link().split("testserver", 1)[1]
    assert old != new
    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 200


def test_a_weak_password_is_refused(network, coordinator, django_capture_on_commit_callbacks):
    _invite(_client(coordinator), network, django_capture_on_commit_callbacks)
    path = _link().split("testserver", 1)[1]

    response = Client().post(path, {"new_password1": "12345678", "new_password2": "12345678"})

    assert response.status_code == 400
    assert not User.objects.get(username="ishikari_hanako").has_usable_password()
    assert Client().get(path).status_code == 200  # still usable


def test_invitation_to_another_food_banks_organisation_is_refused(
    network, coordinator, django_capture_on_commit_callbacks
):
    response = _invite(
        _client(coordinator),
        network,
        django_capture_on_commit_callbacks,
        organisation=network.other_agency.pk,
        site=network.other_window.pk,
    )

    assert response.status_code == 400
    assert not User.objects.filter(username="ishikari_hanako").exists()
    assert mail.outbox == []


def test_deactivation_refuses_the_token_and_ends_the_session_at_once(network, coordinator, case_worker_a):
    # Given a case worker with a browser session and an API token
    browser = _client(case_worker_a)
    api = api_client_for(case_worker_a)
    assert browser.get(reverse("referrals:request-list")).status_code == 200
    assert api.get(reverse("api-me")).status_code == 200

    # When the coordinator deactivates them
    response = _client(coordinator).post(reverse("console:staff-deactivate", args=[case_worker_a.pk]))

    # Then the very next API call is refused and the page session is over
    assert response.status_code == 302
    assert api.get(reverse("api-me")).status_code == 401
    page = browser.get(reverse("referrals:request-list"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("login"))
    case_worker_a.refresh_from_db()
    assert not case_worker_a.is_active
    assert not Membership.objects.filter(user=case_worker_a, active=True).exists()
    assert ApiToken.objects.filter(user=case_worker_a, revoked_at__isnull=True).count() == 0
    event = AuditEvent.objects.get(object_type="staff", object_id=str(case_worker_a.pk))
    assert event.detail["account_closed"] is True
    assert event.detail["tokens_revoked"] == 1


def test_deactivation_in_one_food_bank_leaves_the_others_roles(network, coordinator):
    # A person who also works for the other food bank keeps that role
    person = make_actor("both", "case_worker", network.agency_a)
    from foodbank.services import grant_role

    grant_role(user=person, role="case_worker", organisation=network.other_agency)

    _client(coordinator).post(reverse("console:staff-deactivate", args=[person.pk]))

    person.refresh_from_db()
    assert person.is_active
    assert list(
        Membership.objects.filter(user=person, active=True).values_list("organisation", flat=True)
    ) == [network.other_agency.pk]


def test_a_coordinator_cannot_close_the_superusers_account(network, coordinator):
    root = User.objects.create_superuser("root", "root@example.jp", "pw")
    from foodbank.services import grant_role

    grant_role(user=root, role="coordinator", organisation=network.food_bank)

    _client(coordinator).post(reverse("console:staff-deactivate", args=[root.pk]))

    root.refresh_from_db()
    assert root.is_active
    assert Membership.objects.filter(user=root, active=True).count() == 1


def test_another_food_banks_coordinator_cannot_deactivate(network, case_worker_a, other_coordinator):
    response = _client(other_coordinator).post(reverse("console:staff-deactivate", args=[case_worker_a.pk]))

    assert response.status_code == 404
    case_worker_a.refresh_from_db()
    assert case_worker_a.is_active
    assert Membership.objects.filter(user=case_worker_a, active=True).count() == 1


def test_a_token_is_shown_once_stored_hashed_and_revocable(network, coordinator, integration):
    client = _client(coordinator)

    response = client.post(
        reverse("console:token-issue", args=[integration.pk]), {"name": "Navi 本番", "expires_days": 365}
    )

    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    key = re.search(r'<code id="token-key">([^<]+)</code>', response.content.decode()).group(1)
    token = ApiToken.objects.get(name="Navi 本番")
    assert key.startswith(token.prefix + ".")
    assert key not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(reverse("api-me")).status_code == 200
    # The member's page lists it by its prefix only
    page = client.get(reverse("console:staff-member", args=[integration.pk])).content.decode()
    assert token.prefix in page
    assert key not in page

    client.post(reverse("console:token-revoke", args=[token.pk]))

    assert api.get(reverse("api-me")).status_code == 401
    assert AuditEvent.objects.filter(object_type="api_token", object_id=str(token.pk)).count() == 2


def test_no_token_for_an_account_that_also_works_for_another_food_bank(network, coordinator):
    # Given a person who is a case worker here and the other food bank's coordinator
    from foodbank.services import grant_role

    person = make_actor("both_banks", "case_worker", network.agency_a)
    grant_role(user=person, role="coordinator", organisation=network.other_food_bank)

    # When this food bank's coordinator asks for a token for them
    response = _client(coordinator).post(
        reverse("console:token-issue", args=[person.pk]), {"name": "agency system", "expires_days": 30}
    )

    # Then none is issued (it would act as the other food bank's coordinator) and no key is shown
    assert response.status_code == 302
    assert not ApiToken.objects.filter(user=person).exists()
    assert "token-key" not in response.content.decode()
    assert not AuditEvent.objects.filter(object_type="api_token").exists()


def test_no_token_for_the_installations_superuser(network, coordinator):
    # Given the superuser also holds a role in this food bank
    superuser = User.objects.create_superuser("root", "root@example.jp", "pw")
    from foodbank.services import grant_role

    grant_role(user=superuser, role="case_worker", organisation=network.agency_a)

    response = _client(coordinator).post(
        reverse("console:token-issue", args=[superuser.pk]), {"name": "x", "expires_days": 30}
    )

    assert response.status_code == 302
    assert not ApiToken.objects.filter(user=superuser).exists()


def test_the_admin_is_for_the_superuser_only(network, coordinator):
    coordinator.is_staff = True
    coordinator.save()
    superuser = User.objects.create_superuser("root", "root@example.jp", "pw")

    assert _client(coordinator).get("/admin/").status_code == 302
    assert _client(superuser).get("/admin/").status_code == 200


@pytest.mark.parametrize("role", ["window_staff", "coordinator", "warehouse_volunteer"])
def test_no_token_for_a_colleague_with_a_staff_role(network, coordinator, role):
    # Given a colleague of this food bank who is a person, not a system
    site = network.window_a if role == "window_staff" else None
    organisation = network.agency_a if role == "window_staff" else network.food_bank
    colleague = make_actor(f"colleague_{role}", role, organisation, site)

    # When the coordinator asks for a token for them
    response = _client(coordinator).post(
        reverse("console:token-issue", args=[colleague.pk]), {"name": "x", "expires_days": 30}
    )

    # Then none is issued: the coordinator could act as them, under their name in the audit log
    assert response.status_code == 302
    assert not ApiToken.objects.filter(user=colleague).exists()
    assert not AuditEvent.objects.filter(object_type="api_token").exists()


def test_another_food_banks_coordinator_reaches_no_account_or_token_here_by_id(
    network, coordinator, integration, case_worker_a, other_coordinator
):
    # Given a token of this food bank's integration account
    from foodbank import tokens

    token, key = tokens.issue_token(user=integration, name="Navi 本番")
    client = _client(other_coordinator)
    before = (
        AuditEvent.objects.count(),
        Membership.objects.count(),
        ApiToken.objects.count(),
        mail.outbox[:],
    )

    # When the other food bank's coordinator names the accounts and the token by id
    answers = [
        client.get(reverse("console:staff-member", args=[case_worker_a.pk])).status_code,
        client.post(
            reverse("console:staff-add-role", args=[case_worker_a.pk]),
            {"role": "case_worker", "organisation": network.other_agency.pk},
        ).status_code,
        client.post(reverse("console:staff-resend", args=[case_worker_a.pk])).status_code,
        client.post(reverse("console:token-issue", args=[integration.pk]), {"name": "x"}).status_code,
        client.post(reverse("console:token-revoke", args=[token.pk])).status_code,
    ]

    # Then each is a 404, like an id that does not exist, and nothing changed
    assert answers == [404] * 5
    assert (
        AuditEvent.objects.count(),
        Membership.objects.count(),
        ApiToken.objects.count(),
        mail.outbox,
    ) == before
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(reverse("api-me")).status_code == 200
