"""Credentials of users: a password change, a deactivation and a re-activation each revoke every
API token of the user (docs/trust.md, "Tokens and credentials").

Call ``change_password`` and ``set_active`` (the coordinators' console does); they record who
revoked the tokens. Anything else that changes a password or ``is_active`` (the Django admin,
``manage.py changepassword``, a shell) is caught by ``revoke_tokens_on_credential_change``, a
``pre_save`` receiver on the user model: a token must not outlive the credential that issued it
whichever path changed it, so this one rule is enforced where every path meets.
"""

from django.contrib.auth import get_user_model
from django.db import transaction

from .models import ApiToken, Membership, Role
from .tokens import revoke_tokens

# The fields whose change ends every token of the user.
CREDENTIAL_FIELDS = ("password", "is_active")


def revoke_all_tokens(*, user, revoked_by=None) -> int:
    """Revoke every live token of ``user``; returns how many were live."""
    return revoke_tokens(tokens=ApiToken.objects.filter(user_id=user.pk), revoked_by=revoked_by)


@transaction.atomic
def change_password(*, user, raw_password: str | None, changed_by=None) -> int:
    """Set ``user``'s password (``None``: no usable password) and revoke every token of the user.
    Returns the number of tokens revoked. Validating the password's strength is the caller's
    (a form with Django's password validators)."""
    revoked = revoke_all_tokens(user=user, revoked_by=changed_by)
    if raw_password is None:
        user.set_unusable_password()
    else:
        user.set_password(raw_password)
    user.save(update_fields=["password"])
    return revoked


@transaction.atomic
def set_active(*, user, active: bool, changed_by=None) -> int:
    """Deactivate or re-activate ``user``; either way every token of the user is revoked (a token
    issued before a deactivation must not come back with the account). Returns the number revoked;
    setting the state the user already has changes nothing."""
    if user.is_active == active:
        return 0
    revoked = revoke_all_tokens(user=user, revoked_by=changed_by)
    user.is_active = active
    user.save(update_fields=["is_active"])
    return revoked


def is_integration(user) -> bool:
    """A machine client (the Navi backend): token only, never a password login."""
    return Membership.objects.filter(user_id=user.pk, role=Role.INTEGRATION).exists()


def revoke_tokens_on_credential_change(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    """``pre_save`` of the user model: revoke every token when the password or ``is_active``
    changes. One query when the save may touch those fields (none for a ``last_login`` update)."""
    if raw or instance.pk is None:
        return
    if update_fields is not None and not set(update_fields) & set(CREDENTIAL_FIELDS):
        return
    before = get_user_model().objects.filter(pk=instance.pk).values(*CREDENTIAL_FIELDS).first()
    if before is None:
        return
    if any(before[name] != getattr(instance, name) for name in CREDENTIAL_FIELDS):
        revoke_all_tokens(user=instance)
