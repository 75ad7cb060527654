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
