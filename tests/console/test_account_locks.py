"""A coordinator's change to an account while its owner is accepting the invitation: the two take
their locks in one order (console/locks.py: invitation → account), whichever starts first, and the
one that comes second waits, then acts on the account as the first left it."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from console import accounts, locks
from console.models import Invitation
from tests.helpers import in_thread

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
User = get_user_model()
PASSWORD = "kita-no-mado-2026"


def _invite(network, coordinator) -> tuple:
    secrets = []
    user, invitation = accounts.invite_staff(
        by=coordinator,
        food_bank=network.food_bank,
        username="ishikari_hanako",
        full_name="石狩 花子",
        email="hanako@example.jp",
        role="window_staff",
        organisation=network.agency_a,
        site=network.window_a,
        link_for=lambda secret: secrets.append(secret) or f"https://example.jp/{secret}/",
    )
    return user, invitation, secrets[0]


def _second_waits(hold_then_act, second) -> tuple[list, list]:
    """``hold_then_act(pause)`` takes its locks and calls ``pause()``; ``second`` starts meanwhile
    and is seen waiting for a lock the first holds; then the first goes on and both finish.
    Returns what each ended with (a result or an exception)."""
    holding, go_on, first_ended, second_ended = threading.Event(), threading.Event(), [], []

    def pause():
        holding.set()
        go_on.wait(timeout=30)

    first = in_thread(lambda: hold_then_act(pause), first_ended, first_ended)
    waiting = None
    try:
        assert holding.wait(timeout=30)
        waiting = in_thread(second, second_ended, second_ended)
        waiting.join(timeout=2)
        assert waiting.is_alive()  # waiting for a lock the first holds
    finally:
        go_on.set()
        first.join(timeout=30)
    waiting.join(timeout=30)
    return first_ended, second_ended


def _while_accepting(invitation, secret: str, coordinators_change) -> tuple[list, list]:
    """The owner's acceptance has locked the invitation (its first step) when the coordinator's
    change starts; once that change is waiting, the acceptance goes on to set the password."""

    def accept(pause):
        with transaction.atomic():
            locks.lock_invitation(invitation.pk)
            pause()
            return accounts.accept_invitation(secret=secret, password=PASSWORD)

    return _second_waits(accept, coordinators_change)


def test_a_new_link_asked_for_while_the_old_one_is_used_is_refused(network, coordinator):
    # Given a coordinator asks for a new link while the invited person is using the first one
    user, invitation, secret = _invite(network, coordinator)
    accepted, resent = _while_accepting(
        invitation,
        secret,
        lambda: accounts.resend_invitation(
            by=coordinator, user=user, food_bank=network.food_bank, link_for=lambda s: s
        ),
    )

    # Then the person's password is set, and the coordinator is told it is set already: no new
    # link was made (it would let whoever holds it set the password again), and the link that was
    # used is not superseded
    assert [type(x) for x in accepted] == [User], accepted
    assert [type(x) for x in resent] == [ValidationError], resent
    assert "パスワードを設定済み" in str(resent[0])  # "has set its password already"
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)
    assert list(Invitation.objects.filter(user=user).values_list("pk", "superseded_at")) == [
        (invitation.pk, None)
    ]
    assert Invitation.objects.get(pk=invitation.pk).accepted_at is not None


def test_an_account_closed_while_its_link_is_used_is_closed_after_the_password_is_set(network, coordinator):
    # Given a coordinator ends the only role of an account while its owner is setting a password
    user, invitation, secret = _invite(network, coordinator)
    accepted, closed = _while_accepting(
        invitation,
        secret,
        lambda: accounts.deactivate_staff(by=coordinator, user=user, food_bank=network.food_bank),
    )

    # Then both are done, one after the other: the password was set, then the account closed
    # (inactive, no usable password), and no role is left
    assert [type(x) for x in accepted] == [User], accepted
    assert closed == [True], closed
    account = User.objects.get(pk=user.pk)
    assert not account.is_active
    assert not account.has_usable_password()
    assert not account.memberships.filter(active=True).exists()


def test_a_link_used_while_the_account_is_being_closed_no_longer_works(network, coordinator, monkeypatch):
    # Given a coordinator is closing an account: the account's locks taken, its roles not yet ended
    user, invitation, secret = _invite(network, coordinator)
    pauses = []
    take_account = locks.lock_account

    def account_taken_then_pause(pk):
        account = take_account(pk)  # the real lock; the pause lets the acceptance start meanwhile
        pauses[0]()
        return account

    monkeypatch.setattr(locks, "lock_account", account_taken_then_pause)

    def close(pause):
        pauses.append(pause)
        return accounts.deactivate_staff(by=coordinator, user=user, food_bank=network.food_bank)

    # When the invited person submits the link meanwhile
    closed, accepted = _second_waits(
        close, lambda: accounts.accept_invitation(secret=secret, password=PASSWORD)
    )

    # Then the account is closed, and the link, superseded by the closing, sets no password: the
    # person is told it no longer works (not a deadlock, which PostgreSQL would end by aborting one)
    assert closed == [True], closed
    assert [type(x) for x in accepted] == [accounts.InvitationInvalid], accepted
    account = User.objects.get(pk=user.pk)
    assert not account.is_active
    assert not account.has_usable_password()
    assert Invitation.objects.get(pk=invitation.pk).superseded_at is not None
