"""Pages of referrals back to consultation services (issue 6): the target's inbox, the coordinator's
trail and feedback, referring from triage, and the contact behind a window handout.

The same selectors and services as the API. Refusals as in docs/authorization.md: 403 for a role
that may not do this at all (checked before any lookup), 404 for an object out of scope.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from foodbank.exceptions import DomainError
from foodbank.models import Role, Site
from foodbank.selectors import food_bank_ids, has_role, site_ids
from inventory.models import Handout
from inventory.selectors import visible_handouts

from . import selectors, services
from .forms import FeedbackForm, HandoutContactForm, ReferralCloseForm, ReferralContactForm
from .models import ConsentRecord, DeliveryRequest, Referral
from .validation import FieldErrors, normalise_phone

RS = Referral.Status


# --- The target's inbox ---------------------------------------------------------------------------


@login_required
def inbox(request):
    """Referrals addressed to the user's window or agency: open ones first, with what the person
    agreed to share, the trail, and the next steps (acknowledge, record contact, close)."""
    if not selectors.may_use_target_inbox(request.user):
        raise PermissionDenied
    page = Paginator(selectors.inbox_referrals(request.user), 30).get_page(request.GET.get("page"))
    referrals = list(page)
    trails = selectors.referral_events([r.pk for r in referrals])
    today = timezone.localdate()
    cards = []
    for r in referrals:
        cards.append(
            {
                "r": r,
                "person": selectors.shared_details(r),
                "events": trails[r.pk],
                "contact_form": ReferralContactForm(prefix=f"c{r.pk}", initial={"contacted_on": today}),
                "close_form": ReferralCloseForm(prefix=f"x{r.pk}"),
            }
        )
    services.record_referral_view(request=request, referrals=referrals)
    return render(
        request,
        "referrals/inbox.html",
        {
            "cards": cards,
            "page": page,
            "open_count": sum(1 for r in referrals if r.status != RS.CLOSED),
        },
    )


def _inbox_referral(request, pk: int) -> Referral:
    if not selectors.may_use_target_inbox(request.user):
        raise PermissionDenied
    try:
        return selectors.inbox_referrals(request.user).get(pk=pk)
    except Referral.DoesNotExist:
        raise Http404 from None


def _back_to_inbox(referral: Referral):
    return redirect(f"{reverse('referrals:inbox')}#rf{referral.pk}")


def _step(request, referral: Referral, action, success: str):
    try:
        action()
    except DomainError as exc:
        messages.error(request, f"{referral.reference}: {exc.message}")
    else:
        messages.success(request, success % {"reference": referral.reference})
    return _back_to_inbox(referral)


@login_required
@require_POST
def inbox_acknowledge(request, pk: int):
    referral = _inbox_referral(request, pk)
    return _step(
        request,
        referral,
        lambda: services.acknowledge_referral(referral_id=referral.pk, by=request.user),
        _("%(reference)s: acknowledged."),
    )


@login_required
@require_POST
def inbox_contacted(request, pk: int):
    referral = _inbox_referral(request, pk)
    form = ReferralContactForm(request.POST, prefix=f"c{pk}")
    if not form.is_valid():
        messages.error(
            request,
            _("%(reference)s: give the date and the outcome of the contact.")
            % {"reference": referral.reference},
        )
        return _back_to_inbox(referral)
    return _step(
        request,
        referral,
        lambda: services.record_referral_contact(
            referral_id=referral.pk,
            by=request.user,
            contacted_on=form.cleaned_data["contacted_on"],
            outcome=form.cleaned_data["outcome"].strip(),
        ),
        _("%(reference)s: contact recorded."),
    )


@login_required
@require_POST
def inbox_close(request, pk: int):
    referral = _inbox_referral(request, pk)
    form = ReferralCloseForm(request.POST, prefix=f"x{pk}")
    if not form.is_valid():
        messages.error(
            request,
            _("%(reference)s: give the outcome to close the referral.") % {"reference": referral.reference},
        )
        return _back_to_inbox(referral)
    return _step(
        request,
        referral,
        lambda: services.close_referral(
            referral_id=referral.pk, by=request.user, outcome=form.cleaned_data["outcome"].strip()
        ),
        _("%(reference)s: closed."),
    )


# --- Referring (coordinator) ------------------------------------------------------------------------


def target_choices(food_bank_id: int) -> list[tuple[str, str]]:
    """The override select: windows first, then partner agencies, as ``site:<id>`` /
    ``organisation:<id>``."""
    sites, organisations = selectors.referral_targets(food_bank_id)
    return [
        *((f"site:{s.pk}", s.name) for s in sites.order_by("name", "pk")),
        *((f"organisation:{o.pk}", o.name) for o in organisations.order_by("name", "pk")),
    ]


def target_value(target) -> str:
    if target is None:
        return ""
    return f"site:{target.pk}" if isinstance(target, Site) else f"organisation:{target.pk}"


def _chosen_target(value: str, food_bank_id: int):
    """The target the coordinator chose in the select, or None for the proposed one."""
    kind, _sep, pk = value.partition(":")
    if not (pk.isascii() and pk.isdigit()) or kind not in ("site", "organisation"):
        return None
    sites, organisations = selectors.referral_targets(food_bank_id)
    return (sites if kind == "site" else organisations).filter(pk=int(pk)).first()


@login_required
@require_POST
def refer_request(request, pk: int):
    """Refer the person of a delivery request (triage page or the request's page)."""
    if not has_role(request.user, Role.COORDINATOR):
        raise PermissionDenied
    try:
        obj = selectors.visible_requests(request.user).get(
            pk=pk, food_bank_id__in=food_bank_ids(request.user, Role.COORDINATOR)
        )
    except DeliveryRequest.DoesNotExist:
        raise Http404 from None
    source = (
        Referral.Source.NAVI
        if obj.source == DeliveryRequest.Source.NAVI
        else Referral.Source.DELIVERY_REQUEST
    )
    _refer(
        request,
        label=obj.reference,
        recipient_id=obj.recipient_id,
        food_bank_id=obj.food_bank_id,
        source=source,
        delivery_request_id=obj.pk,
    )
    return redirect(_next_url(request, reverse("referrals:triage")))


@login_required
@require_POST
def refer_handout_contact(request, pk: int):
    """Refer the named person behind a window handout (coordinator's referral page)."""
    if not has_role(request.user, Role.COORDINATOR):
        raise PermissionDenied
    contact = selectors.handout_contacts_waiting(request.user).filter(pk=pk).first()
    if contact is None:
        raise Http404
    _refer(
        request,
        label=_("Handout no. %(number)s") % {"number": contact.handout_id},
        recipient_id=contact.recipient_id,
        food_bank_id=contact.recipient.food_bank_id,
        source=Referral.Source.HANDOUT,
        handout_id=contact.handout_id,
    )
    return redirect("referrals:referral-list")


def _refer(request, *, label: str, recipient_id: int, food_bank_id: int, **where) -> None:
    target = None
    if request.POST.get("target"):
        target = _chosen_target(request.POST["target"], food_bank_id)
        if target is None:
            messages.error(
                request, _("%(label)s: choose a window or agency from the list.") % {"label": label}
            )
            return
    try:
        referral = services.create_referral(
            by=request.user,
            recipient_id=recipient_id,
            target=target,
            needs=request.POST.get("needs", "").strip()[:2000],
            request=request,
            **where,
        )
    except DomainError as exc:
        messages.error(request, f"{label}: {exc.message}")
    else:
        messages.success(
            request,
            _("%(label)s: referred to %(target)s (%(reference)s).")
            % {"label": label, "target": referral.target.name, "reference": referral.reference},
        )


def _next_url(request, default: str) -> str:
    candidate = request.POST.get("next", "")
    # Only our own paths: never an absolute URL from a form field.
    return candidate if candidate.startswith("/") and not candidate.startswith("//") else default


def referral_proposals(requests: list[DeliveryRequest]) -> dict[int, dict]:
    """For each request of the coordinator's list: whether the person consents to referral, the
    proposed target, and the referrals already made (a few queries per consenting request)."""
    consenting = selectors.recipients_with_valid_consent(
        recipient_ids={r.recipient_id for r in requests}, purpose=ConsentRecord.Purpose.REFERRAL
    )
    made: dict[int, list[Referral]] = {r.pk: [] for r in requests}
    for referral in Referral.objects.filter(delivery_request_id__in=list(made)).select_related(
        "target_site", "target_organisation"
    ):
        made[referral.delivery_request_id].append(referral)
    choices: dict[int, list] = {}
    out = {}
    for r in requests:
        consent = r.recipient_id in consenting
        proposed = selectors.propose_target(r.recipient) if consent and not made[r.pk] else None
        if r.food_bank_id not in choices:
            choices[r.food_bank_id] = target_choices(r.food_bank_id)
        out[r.pk] = {
            "consent": consent,
            "proposed": proposed,
            "proposed_value": target_value(proposed),
            "choices": choices[r.food_bank_id],
            "made": made[r.pk],
        }
    return out


# --- The coordinator's trail and feedback ---------------------------------------------------------


@login_required
def referral_list(request):
    """Every referral of the coordinator's food bank with its status and each step (who, when),
    and the handout contacts still waiting for a referral."""
    if not has_role(request.user, Role.COORDINATOR):
        raise PermissionDenied
    qs = selectors.referral_trail(request.user)
    status = request.GET.get("status", "")
    if status in RS.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    referrals = list(page)
    trails = selectors.referral_events([r.pk for r in referrals])
    waiting = list(selectors.handout_contacts_waiting(request.user)[:50])
    choices = {fb: target_choices(fb) for fb in {c.recipient.food_bank_id for c in waiting}}
    contacts = [
        {
            "contact": c,
            "proposed": selectors.propose_target(c.recipient),
            "choices": choices[c.recipient.food_bank_id],
        }
        for c in waiting
    ]
    services.record_referral_view(request=request, referrals=referrals)
    return render(
        request,
        "referrals/referral_list.html",
        {
            "rows": [{"r": r, "events": trails[r.pk]} for r in referrals],
            "page": page,
            "status": status,
            "statuses": RS.choices,
            "contacts": contacts,
        },
    )


@login_required
def feedback(request):
    """Recipients' messages (the coordinator's own page: private ones included, marked) and the
    form to record one."""
    food_banks = sorted(food_bank_ids(request.user, Role.COORDINATOR))
    if not food_banks:
        raise PermissionDenied
    form = FeedbackForm(request.POST or None, initial={"received_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.record_feedback(
            food_bank_id=food_banks[0],
            by=request.user,
            message=data["message"].strip(),
            may_be_published=data["publication"] == "publish",
            received_on=data["received_on"],
        )
        messages.success(request, _("Feedback recorded."))
        return redirect("referrals:feedback")
    page = Paginator(selectors.visible_feedback(request.user), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "referrals/feedback.html",
        {"form": form, "page": page},
        status=400 if request.method == "POST" else 200,
    )


# --- The contact behind a window handout ----------------------------------------------------------


@login_required
def handout_contact(request, pk: int):
    """After a handout where the person asked to be referred: their name, contact and what they
    agree may be passed on (window staff of that window)."""
    if not has_role(request.user, Role.WINDOW_STAFF):
        raise PermissionDenied
    try:
        handout = (
            visible_handouts(request.user)
            .filter(site_id__in=site_ids(request.user, Role.WINDOW_STAFF))
            .select_related("site")
            .get(pk=pk)
        )
    except Handout.DoesNotExist:
        raise Http404 from None
    window_url = reverse("inventory:window", args=[handout.site_id])
    if hasattr(handout, "contact"):
        messages.info(request, _("The person's contact was already recorded for this handout."))
        return redirect(window_url)
    form = HandoutContactForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.record_handout_contact(
                    handout_id=handout.pk,
                    by=request.user,
                    recipient=contact_recipient(
                        site=handout.site,
                        name=data["name"].strip(),
                        name_kana=data["name_kana"].strip(),
                        is_pseudonym=data["is_pseudonym"],
                        phone=normalise_phone(data["phone"]),
                    ),
                    household_type=handout.household_type,
                    household_size=handout.household_size,
                    method=data["method"],
                    data_categories=data["categories"],
                )
            except FieldErrors as exc:
                for name, errors in exc.errors.items():
                    for error in errors:
                        form.add_error(name if name in form.fields else None, error)
            except DomainError as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(
                    request,
                    _("Thank you. The food bank will refer the person to a consultation service."),
                )
                return redirect(window_url)
    return render(
        request,
        "referrals/handout_contact.html",
        {"form": form, "handout": handout, "window_url": window_url},
        status=status,
    )


def contact_recipient(*, site: Site, name: str, name_kana: str, is_pseudonym: bool, phone: str):
    """The person behind a handout as a recipient: lives where the window serves (its
    municipality and regional bureau are what matching needs); no address."""
    return services.RecipientInput(
        name=name,
        name_kana=name_kana,
        is_pseudonym=is_pseudonym,
        phone=phone,
        postal_code="",
        prefecture=site.prefecture,
        municipality=site.municipality,
        municipality_code=site.municipality_code,
        regional_bureau=site.regional_bureau,
        address="",
    )
