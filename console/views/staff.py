"""Coordinator pages for staff accounts: invitation by a one-time link, roles, deactivation at
once, and API tokens shown once. The invitation page itself is public: the link is the credential."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from foodbank.models import Role

from .. import accounts, selectors
from ..forms import AcceptInvitationForm, IntegrationForm, InviteForm, RoleForm, TokenForm
from .base import add_errors, get_or_404, home_food_bank, require_coordinator


def _link_for(request):
    return lambda secret: request.build_absolute_uri(reverse("console:invitation", args=[secret]))


@login_required
@require_GET
def staff_list(request):
    require_coordinator(request)
    return render(request, "console/staff_list.html", {"staff": selectors.staff(request.user)})


@login_required
def staff_invite(request):
    require_coordinator(request)
    form = InviteForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        organisation = data["organisation"]
        food_bank = organisation if organisation.food_bank_id is None else organisation.food_bank
        try:
            user, _invitation = accounts.invite_staff(
                by=request.user,
                food_bank=food_bank,
                username=data["username"],
                full_name=data["full_name"],
                email=data["email"],
                role=data["role"],
                organisation=organisation,
                site=data.get("site"),
                link_for=_link_for(request),
                request=request,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                _("An invitation was sent to %(email)s. The link works once, for %(hours)d hours.")
                % {"email": data["email"], "hours": settings.INVITATION_TTL_HOURS},
            )
            return redirect("console:staff-member", pk=user.pk)
    return render(
        request,
        "console/form.html",
        {
            "form": form,
            "title": _("Invite a staff member"),
            "intro": _(
                "The person receives a one-time link by email and sets their own password. "
                "No password is shown or mailed."
            ),
            "back": ("console:staff", _("Staff")),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def integration_new(request):
    """A machine account (the Navi, an agency's own system) with the integration role; it gets
    API tokens, never a password or an invitation."""
    require_coordinator(request)
    form = IntegrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        food_bank = home_food_bank(request)
        User = get_user_model()
        with transaction.atomic():
            if User.objects.filter(username__iexact=form.cleaned_data["username"]).exists():
                form.add_error("username", _("This username is taken."))
            else:
                user = User(username=form.cleaned_data["username"], first_name=form.cleaned_data["full_name"])
                user.set_unusable_password()
                user.save()
                accounts.add_role(
                    by=request.user,
                    user=user,
                    role=Role.INTEGRATION,
                    organisation=food_bank,
                    site=None,
                    request=request,
                )
                return redirect("console:staff-member", pk=user.pk)
    return render(
        request,
        "console/form.html",
        {"form": form, "title": _("New integration account"), "back": ("console:staff", _("Staff"))},
        status=400 if request.method == "POST" else 200,
    )


def _member(request, pk: int):
    require_coordinator(request)
    return get_or_404(selectors.staff(request.user), pk=pk)


@login_required
@require_GET
def staff_member(request, pk: int):
    member = _member(request, pk)
    return render(request, "console/staff_member.html", _member_context(request, member))


def _member_context(request, member, **extra) -> dict:
    return {
        "member": member,
        "memberships": selectors.memberships_in(request.user, member),
        "tokens": selectors.tokens_of(member),
        "invitation": selectors.open_invitation(member),
        "role_form": RoleForm(user=request.user),
        "token_form": TokenForm(),
        "is_integration": any(m.role == Role.INTEGRATION for m in member.scoped_memberships),
        **extra,
    }


@login_required
@require_POST
def staff_add_role(request, pk: int):
    member = _member(request, pk)
    form = RoleForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(
            request, "console/staff_member.html", _member_context(request, member, role_form=form), status=400
        )
    if not member.is_active:
        messages.error(request, _("This account is closed: invite the person again."))
        return redirect("console:staff-member", pk=member.pk)
    data = form.cleaned_data
    accounts.add_role(
        by=request.user,
        user=member,
        role=data["role"],
        organisation=data["organisation"],
        site=data.get("site"),
        request=request,
    )
    messages.success(request, _("Role added."))
    return redirect("console:staff-member", pk=member.pk)


def _food_bank_of_member(request, member):
    ids = {m.food_bank_id for m in member.scoped_memberships}
    return selectors.food_banks(request.user).filter(pk__in=ids).first()


@login_required
@require_POST
def staff_deactivate(request, pk: int):
    member = _member(request, pk)
    try:
        closed = accounts.deactivate_staff(
            by=request.user, user=member, food_bank=_food_bank_of_member(request, member), request=request
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The account is closed: its sessions and API tokens no longer work.")
            if closed
            else _("Its roles in this food bank ended; the person keeps roles elsewhere."),
        )
    return redirect("console:staff-member", pk=member.pk)


@login_required
@require_POST
def staff_resend(request, pk: int):
    member = _member(request, pk)
    try:
        accounts.resend_invitation(
            by=request.user,
            user=member,
            food_bank=_food_bank_of_member(request, member),
            link_for=_link_for(request),
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("A new link was sent; the earlier one no longer works."))
    return redirect("console:staff-member", pk=member.pk)


@never_cache
@login_required
@require_POST
def token_issue(request, pk: int):
    """Issue a token and show its key on this one answer (not stored, never shown again)."""
    member = _member(request, pk)
    form = TokenForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "console/staff_member.html",
            _member_context(request, member, token_form=form),
            status=400,
        )
    days = form.cleaned_data["expires_days"]
    try:
        token, key = accounts.issue_api_token(
            by=request.user,
            user=member,
            name=form.cleaned_data["name"],
            expires_at=timezone.now() + timedelta(days=days) if days else None,
            food_bank_id=_food_bank_of_member(request, member).pk,
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("console:staff-member", pk=member.pk)
    return render(
        request, "console/token_issued.html", {"member": member, "token": token, "key": key}, status=201
    )


@login_required
@require_POST
def token_revoke(request, pk: int):
    require_coordinator(request)
    token = get_or_404(selectors.tokens(request.user).select_related("user"), pk=pk)
    member = get_or_404(selectors.staff(request.user), pk=token.user_id)
    accounts.revoke_api_token(
        by=request.user, token=token, food_bank_id=_food_bank_of_member(request, member).pk, request=request
    )
    messages.success(request, _("The token was revoked."))
    return redirect("console:staff-member", pk=token.user_id)


@never_cache
def invitation(request, secret: str):
    """The invited person sets their password (anyone holding the link; it works once)."""
    try:
        found = accounts.invitation_for(secret)
    except accounts.InvitationInvalid:
        return render(request, "console/invitation_invalid.html", status=404)
    form = AcceptInvitationForm(found.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.accept_invitation(
                secret=secret, password=form.cleaned_data["new_password1"], request=request
            )
        except accounts.InvitationInvalid:
            return render(request, "console/invitation_invalid.html", status=404)
        # A page of its own, not a redirect to the login page: the link's work is done here.
        return render(request, "console/invitation_done.html", {"username": found.user.get_username()})
    return render(
        request,
        "console/invitation.html",
        {"form": form, "invitation": found},
        status=400 if request.method == "POST" else 200,
    )
