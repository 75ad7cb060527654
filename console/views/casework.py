"""Case workers' pages: search in their own agency's requests, and on a request's page the consent
withdraw action and enrolment in the monthly parcel. The same services and scoping as the API."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from foodbank import audit
from foodbank.exceptions import DomainError
from referrals import selectors as referral_selectors
from referrals import services as referral_services
from referrals.models import HouseholdType

from .. import casework, people_actions
from ..forms import EnrolForm, RequestSearchForm, WithdrawForm
from .base import get_or_404


def _require_case_worker(request) -> None:
    if not casework.is_case_worker(request.user):
        raise PermissionDenied


@never_cache
@login_required
def search(request):
    """POST, so that a name or phone number never goes into a URL."""
    _require_case_worker(request)
    form = RequestSearchForm(request.POST or None)
    results = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            results = casework.search(
                request.user, kind=data["kind"], term=data["term"], status=data["status"]
            )
        except ValueError:
            form.add_error("term", _("This is not a valid search term of its kind."))
        else:
            audit.record_view(
                request,
                object_type="delivery_request",
                object_id="search",
                detail={"by": data["kind"], "ids": [r.pk for r in results]},
            )
    return render(
        request,
        "console/casework_search.html",
        {"form": form, "results": results},
        status=400 if request.method == "POST" and form.errors else 200,
    )


def _own_request(request, pk: int):
    _require_case_worker(request)
    return get_or_404(casework.own_requests(request.user).select_related("recipient"), pk=pk)


@never_cache
@login_required
@require_GET
def request_page(request, pk: int):
    obj = _own_request(request, pk)
    consents = casework.consents_of(request.user, obj)
    audit.record_view(
        request,
        object_type="consent",
        object_id=f"request:{obj.pk}",
        subject_id=obj.recipient_id,
        food_bank_id=obj.food_bank_id,
    )
    return render(
        request,
        "console/casework_request.html",
        {
            "r": obj,
            "consents": [
                (
                    c,
                    "withdrawn" if hasattr(c, "withdrawal") else c.decision,
                    referral_selectors.may_withdraw(request.user, c),
                    # One form per consent, each with its own prefix: ids stay unique on the page.
                    WithdrawForm(prefix=f"w{c.pk}"),
                )
                for c in consents
            ],
            "enrolment": casework.enrolment_of(obj),
            "enrolable": obj.recipient.household_type == HouseholdType.SINGLE_PARENT,
            "enrol_form": EnrolForm(initial={"starts_on": timezone.localdate().replace(day=1)}),
        },
    )


@login_required
@require_POST
def withdraw(request, pk: int, consent_pk: int):
    obj = _own_request(request, pk)
    consent = get_or_404(
        referral_selectors.visible_consents(request.user).filter(recipient_id=obj.recipient_id), pk=consent_pk
    )
    if not referral_selectors.may_withdraw(request.user, consent):
        raise PermissionDenied
    form = WithdrawForm(request.POST, prefix=f"w{consent.pk}")
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("console:casework-request", pk=obj.pk)
    try:
        people_actions.withdraw(
            by=request.user,
            consent=consent,
            method=form.cleaned_data["method"],
            witness=form.cleaned_data["witness"].strip(),
            note=form.cleaned_data["note"],
            organisation_id=consent.recorded_by_organisation_id,
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The withdrawal was recorded; it is honoured everywhere at once."))
    return redirect("console:casework-request", pk=obj.pk)


@login_required
@require_POST
def enrol(request, pk: int):
    obj = _own_request(request, pk)
    form = EnrolForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("console:casework-request", pk=obj.pk)
    try:
        referral_services.enrol_in_monthly_programme(
            request_id=obj.pk, by=request.user, starts_on=form.cleaned_data["starts_on"]
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The household is enrolled in the monthly parcel."))
    return redirect("console:casework-request", pk=obj.pk)
