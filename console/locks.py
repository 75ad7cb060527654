"""Row locks of the console: one account or one invitation, by primary key. Order across tables:
invitation → account."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from .models import Invitation


def lock_account(pk: int) -> User:
    """Lock one user account (raises DoesNotExist)."""
    return get_user_model().objects.select_for_update().get(pk=pk)


def lock_invitation(pk: int) -> Invitation:
    """Lock one invitation, with its user."""
    return Invitation.objects.select_for_update().select_related("user").get(pk=pk)


def lock_account_and_invitations(pk: int) -> User:
    """Lock one account for a change that also ends its open invitations: those first, then the
    account, the order above, which accepting an invitation follows too (``lock_invitation`` locks
    the invitation with its account). The caller reads the account it returns: a link may have
    been used while it waited. (A link made while it waited, by a resend that locked the account
    first, is locked after the account, by the caller's own update of open invitations: only an
    acceptance of that new link in the same instant could then wait the other way round, and
    PostgreSQL would refuse one of the two.)"""
    list(
        Invitation.objects.select_for_update()
        .filter(user_id=pk, accepted_at__isnull=True, superseded_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return lock_account(pk)
