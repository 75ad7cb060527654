"""Staff accounts run by coordinators: invitation by a one-time link, deactivation that takes
effect at once, and API tokens shown once (docs/console.md).

No password is ever chosen, shown or mailed by anyone but its owner: an invited account has an
unusable password until the person sets their own through the link.
"""

import hashlib
import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from foodbank import accounts as foodbank_accounts
from foodbank import audit, tokens
from foodbank.models import TENANT_ROLES, ApiToken, AuditEvent, Membership, Organisation, Role, Site
from foodbank.services import grant_role

from . import locks
from .models import Invitation

logger = logging.getLogger(__name__)


class InvitationInvalid(Exception):
    """The link is unknown, used, superseded or expired (the page answers 404 for all of them)."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _ttl() -> timedelta:
    return timedelta(hours=settings.INVITATION_TTL_HOURS)


def _audit(*, by, action: str, object_type: str, object_id, food_bank_id: int, request=None, **detail):
    audit.record(
        actor=by,
        action=action,
        object_type=object_type,
        object_id=object_id,
        food_bank_id=food_bank_id,
        request=request,
        detail=detail,
    )


def _open_invitation(*, user, food_bank: Organisation, email: str, by) -> tuple[Invitation, str]:
    now = timezone.now()
    Invitation.objects.filter(user=user, accepted_at__isnull=True, superseded_at__isnull=True).update(
        superseded_at=now
    )
    secret = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        user=user,
        food_bank=food_bank,
        email=email,
        token_hash=_hash(secret),
        invited_by=by,
        expires_at=now + _ttl(),
    )
    return invitation, secret


def _send_on_commit(invitation: Invitation, link: str) -> None:
    """Mail the link once the account exists. Sent from this process, not through the task outbox:
    the outbox keeps its messages in a table, and the link must never be stored anywhere."""
    context = {
        "name": invitation.user.get_full_name() or invitation.user.get_username(),
        "username": invitation.user.get_username(),
        "food_bank": invitation.food_bank.name,
        "link": link,
        "expires_at": timezone.localtime(invitation.expires_at),
    }
    subject = _("Your account at %(food_bank)s") % {"food_bank": invitation.food_bank.name}
    body = render_to_string("console/invitation_email.txt", context)
    email, pk = invitation.email, invitation.pk

    def send() -> None:
        try:
            send_mail(subject, body, None, [email])
        except Exception:  # the coordinator can send a new link from the staff page
            logger.exception("Invitation %s could not be mailed", pk)

    transaction.on_commit(send)


def invite_staff(
    *,
    by,
    food_bank: Organisation,
    username: str,
    full_name: str,
    email: str,
    role: str,
    organisation: Organisation,
    site: Site | None,
    link_for: Callable[[str], str],
    request=None,
) -> tuple:
    """Create an account with ``role`` and mail its owner a one-time link to set a password.

    The account has an unusable password until then. ``link_for(secret)`` makes the absolute URL
    of the link. ValidationError for a username that exists or a role outside ``food_bank``.
    Returns (user, invitation).
    """
    _check_grantable(role)
    if organisation.food_bank_id_for_scope != food_bank.pk or (site and site.food_bank_id != food_bank.pk):
        raise ValidationError({"organisation": _("The organisation belongs to another food bank.")})
    User = get_user_model()
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError({"username": _("This username is taken.")})
        user = User(username=username, email=email, first_name=full_name[:150])
        user.set_unusable_password()
        user.save()
        grant_role(user=user, role=role, organisation=organisation, site=site)
        invitation, secret = _open_invitation(user=user, food_bank=food_bank, email=email, by=by)
        _audit(
            by=by,
            action=AuditEvent.Action.CREATE,
            object_type="staff",
            object_id=user.pk,
            food_bank_id=food_bank.pk,
            request=request,
            role=role,
            organisation=organisation.pk,
            site=site.pk if site else None,
            invitation=invitation.pk,
        )
        _send_on_commit(invitation, link_for(secret))
    return user, invitation


def resend_invitation(
    *, by, user, food_bank: Organisation, link_for: Callable[[str], str], request=None
) -> Invitation:
    """A new link for an account that has not set its password; the earlier link stops working."""
    with transaction.atomic():
        # Read again under the lock: the link may have been used meanwhile.
        user = locks.lock_account_and_invitations(user.pk)
        if user.has_usable_password() or not user.email:
            raise ValidationError(_("This account has set its password already, or has no email address."))
        invitation, secret = _open_invitation(user=user, food_bank=food_bank, email=user.email, by=by)
        _audit(
            by=by,
            action=AuditEvent.Action.CHANGE,
            object_type="staff",
            object_id=user.pk,
            food_bank_id=food_bank.pk,
            request=request,
            invitation=invitation.pk,
        )
        _send_on_commit(invitation, link_for(secret))
    return invitation


def invitation_for(secret: str, *, now: datetime | None = None) -> Invitation:
    """The open invitation of ``secret`` (InvitationInvalid otherwise)."""
    invitation = (
        Invitation.objects.select_related("user", "food_bank").filter(token_hash=_hash(secret or "")).first()
    )
    now = now or timezone.now()
    if (
        invitation is None
        or invitation.accepted_at is not None
        or invitation.superseded_at is not None
        or invitation.expires_at <= now
        or not invitation.user.is_active
    ):
        raise InvitationInvalid()
    return invitation


def accept_invitation(*, secret: str, password: str, request=None):
    """Set the invited person's password; the link then never works again.

    Locks the invitation row, so two submissions of the same link set one password. The password
    is checked by AUTH_PASSWORD_VALIDATORS by the form before this is called.
    """
    with transaction.atomic():
        found = invitation_for(secret)
        invitation = locks.lock_invitation(found.pk)
        invitation_for(secret)  # re-checked under the lock
        user = invitation.user
        foodbank_accounts.change_password(user=user, raw_password=password, changed_by=user)
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        _audit(
            by=user,
            action=AuditEvent.Action.CHANGE,
            object_type="staff",
            object_id=user.pk,
            food_bank_id=invitation.food_bank_id,
            request=request,
            invitation=invitation.pk,
            accepted=True,
        )
    return user


def _check_grantable(role: str) -> None:
    """A coordinator grants roles inside their food bank; the network role (every food bank's
    figures) is granted by the installation's superuser only (docs/console.md)."""
    if role not in TENANT_ROLES:
        raise ValidationError({"role": _("This role is granted by the installation, not here.")})


def deactivate_staff(*, by, user, food_bank: Organisation, request=None) -> bool:
    """End ``user``'s roles in ``food_bank`` at once. Returns whether the whole account was closed.

    Roles end at once for every session and token: scoping reads active memberships on each
    request. When no active role is left anywhere, the account is closed too: it is made inactive,
    its password unusable (which ends every session: Django checks a hash of the password on each
    request) and its API tokens revoked. Coming back takes a new invitation.
    """
    if user.pk == by.pk:
        raise ValidationError(_("You cannot deactivate your own account."))
    if user.is_superuser:
        # The installation's account spans every food bank: not one food bank's to close.
        raise ValidationError(_("The installation's superuser is managed by the installation, not here."))
    with transaction.atomic():
        account = locks.lock_account_and_invitations(user.pk)
        # The network role is the installation's (granted by its superuser), not this food bank's.
        ended = Membership.objects.filter(
            user=account, food_bank=food_bank, active=True, role__in=TENANT_ROLES
        ).update(active=False)
        closed = not Membership.objects.filter(user=account, active=True).exists()
        revoked = 0
        if closed:
            # Through foodbank.accounts, which revoke every token naming who did it.
            revoked = foodbank_accounts.set_active(user=account, active=False, changed_by=by)
            revoked += foodbank_accounts.change_password(user=account, raw_password=None, changed_by=by)
            Invitation.objects.filter(
                user=account, accepted_at__isnull=True, superseded_at__isnull=True
            ).update(superseded_at=timezone.now())
        _audit(
            by=by,
            action=AuditEvent.Action.CHANGE,
            object_type="staff",
            object_id=account.pk,
            food_bank_id=food_bank.pk,
            request=request,
            deactivated=True,
            roles_ended=ended,
            account_closed=closed,
            tokens_revoked=revoked,
        )
    return closed


def add_role(
    *, by, user, role: str, organisation: Organisation, site: Site | None, request=None
) -> Membership:
    """Give an existing staff member another role (or back a role they had) in the coordinator's
    food bank. A closed account is opened again only by a new invitation."""
    _check_grantable(role)
    with transaction.atomic():
        membership = grant_role(user=user, role=role, organisation=organisation, site=site)
        _audit(
            by=by,
            action=AuditEvent.Action.CHANGE,
            object_type="staff",
            object_id=user.pk,
            food_bank_id=membership.food_bank_id,
            request=request,
            role=role,
            organisation=organisation.pk,
            site=site.pk if site else None,
        )
    return membership


TOKEN_ROLES = (Role.CASE_WORKER, Role.INTEGRATION)


def issue_api_token(*, by, user, name: str, expires_at: datetime | None, food_bank_id: int, request=None):
    """A token for an agency's own system or the Navi integration; returns (token, key). The key is
    shown once and never stored (only its hash, ``foodbank.tokens``)."""
    if not user.is_active:
        raise ValidationError(_("This account is deactivated."))
    # A token acts with every role of its account: one that also works for another food bank (or
    # the installation's superuser, who reads every food bank's figures) would hand this
    # coordinator that data (docs/authorization.md, tenancy).
    if user.is_superuser:
        raise ValidationError(_("The installation's superuser is managed by the installation, not here."))
    # Tokens are for systems: an agency's case-management system (a case-worker account) or the
    # Navi integration. A token for a person with another role would let this coordinator act as
    # that colleague under their name in the audit log.
    if Membership.objects.filter(user=user, active=True).exclude(role__in=TOKEN_ROLES).exists():
        raise ValidationError(_("API tokens are only for an agency's system or an integration account."))
    if Membership.objects.filter(user=user, active=True).exclude(food_bank_id=food_bank_id).exists():
        raise ValidationError(
            _("This account also has roles in another food bank; it cannot get a token here.")
        )
    with transaction.atomic():
        token, key = tokens.issue_token(user=user, name=name, expires_at=expires_at)
        _audit(
            by=by,
            action=AuditEvent.Action.CREATE,
            object_type="api_token",
            object_id=token.pk,
            food_bank_id=food_bank_id,
            request=request,
            user=user.pk,
        )
    return token, key


def revoke_api_token(*, by, token: ApiToken, food_bank_id: int, request=None) -> bool:
    with transaction.atomic():
        revoked = tokens.revoke_tokens(tokens=ApiToken.objects.filter(pk=token.pk), revoked_by=by) > 0
        _audit(
            by=by,
            action=AuditEvent.Action.CHANGE,
            object_type="api_token",
            object_id=token.pk,
            food_bank_id=food_bank_id,
            request=request,
            revoked=revoked,
        )
    return revoked
