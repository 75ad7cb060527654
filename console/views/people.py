"""The people pages: search, a person's page (requests, parcels, referrals, consents with their
actions, provision records, who viewed), the disclosure export (PDF, JSON) and correction. For
coordinators of the food bank that holds the person; every search, view and export is audited."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from foodbank import audit
from foodbank.models import AuditEvent
from foodbank.selectors import coordinator_food_bank_ids
from referrals import services as referral_services
from referrals.exceptions import ConsentAlreadyWithdrawn
from referrals.models import ConsentRecord, DeliveryRequest
from referrals.validation import FieldErrors, display_phone

from .. import disclosure, people, people_actions
from .. import duplicates as dup
from ..forms import ConsentDecisionForm, CorrectionForm, PersonSearchForm, WithdrawForm
from .base import get_or_404, require_coordinator


@never_cache
@login_required
def search(request):
    """The search runs on POST: a phone number or name never goes into a URL (logs, history)."""
    require_coordinator(request)
    form = PersonSearchForm(request.POST or None)
    results = None
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        try:
            results = people.search(request.user, kind=kind, term=form.cleaned_data["term"])
        except ValueError:
            form.add_error("term", _("This is not a valid search term of its kind."))
        else:
            audit.record_view(
                request,
                object_type="person_search",
                object_id=kind,
                detail={"by": kind, "results": [p.pk for p in results]},
            )
    return render(
        request,
        "console/people_search.html",
        {"form": form, "results": results},
        status=400 if request.method == "POST" and form.errors else 200,
    )


def _person(request, pk: int):
    require_coordinator(request)
    return get_or_404(people.people(request.user).select_related("agency"), pk=pk)


def _audit_view(request, person, *, action=AuditEvent.Action.VIEW, **detail) -> None:
    audit.record_view(
        request,
        action=action,
        object_type="recipient",
        object_id=person.pk,
        subject_id=person.pk,
        food_bank_id=person.food_bank_id,
        detail=detail,
    )


@never_cache
@login_required
@require_GET
def person(request, pk: int):
    obj = _person(request, pk)
    record = people.person_record(request.user, obj)
    _audit_view(request, obj)
    return render(
        request,
        "console/person.html",
        {
            "record": record,
            "p": obj,
            "phone": display_phone(obj.phone),
            # One withdraw form per consent, each with its own prefix: ids stay unique on the page.
            "consents": [
                (c, people.consent_state(c), WithdrawForm(prefix=f"w{c.pk}")) for c in record.consents
            ],
            "decision_form": ConsentDecisionForm(prefix="decision"),
        },
    )


@login_required
@require_POST
def person_consent(request, pk: int):
    obj = _person(request, pk)
    form = ConsentDecisionForm(request.POST, prefix="decision")
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("console:person", pk=obj.pk)
    data = form.cleaned_data
    people_actions.record_decision(
        by=request.user,
        person=obj,
        purpose=data["purpose"],
        decision=data["decision"],
        method=data["method"],
        witness=data["witness"].strip(),
        request=request,
    )
    messages.success(request, _("The decision was recorded."))
    return redirect("console:person", pk=obj.pk)


@login_required
@require_POST
def consent_withdraw(request, pk: int):
    require_coordinator(request)
    consent = get_or_404(
        ConsentRecord.objects.filter(recipient__in=people.people(request.user)).select_related("recipient"),
        pk=pk,
    )
    form = WithdrawForm(request.POST, prefix=f"w{consent.pk}")
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("console:person", pk=consent.recipient_id)
    try:
        people_actions.withdraw(
            by=request.user,
            consent=consent,
            method=form.cleaned_data["method"],
            witness=form.cleaned_data["witness"].strip(),
            note=form.cleaned_data["note"],
        )
    except ConsentAlreadyWithdrawn as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The withdrawal was recorded; it is honoured everywhere at once."))
    return redirect("console:person", pk=consent.recipient_id)


@login_required
def person_correct(request, pk: int):
    obj = _person(request, pk)
    initial = {
        "name": obj.name,
        "name_kana": obj.name_kana,
        "phone": display_phone(obj.phone),
        "postal_code": obj.postal_code_display,
        "address": obj.address,
        "building": obj.building,
        "requested_by_person": True,
    }
    form = CorrectionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {
            k: form.cleaned_data[k] for k in form.changed_data if k in initial and k != "requested_by_person"
        }
        try:
            changed = people_actions.correct(
                by=request.user,
                person=obj,
                changes=changes,
                reason=form.cleaned_data["reason"],
                requested_by_person=form.cleaned_data["requested_by_person"],
                request=request,
            )
        except FieldErrors as exc:
            for field, errors in exc.errors.items():
                form.add_error(field if field in form.fields else None, errors)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Corrected: %(fields)s.") % {"fields": ", ".join(changed) or "—"})
            return redirect("console:person", pk=obj.pk)
    else:
        _audit_view(request, obj, form="correction")
    return render(
        request,
        "console/person_correct.html",
        {"form": form, "p": obj},
        status=400 if request.method == "POST" else 200,
    )


@never_cache
@login_required
@require_GET
def person_export(request, pk: int, fmt: str):
    """Everything held about the person, for a disclosure request: ``json`` or ``pdf``."""
    obj = _person(request, pk)
    record = people.person_record(request.user, obj)
    _audit_view(request, obj, action=AuditEvent.Action.EXPORT, format=fmt)
    stamp = timezone.localdate().isoformat()
    if fmt == "pdf":
        response = HttpResponse(disclosure.as_pdf(record), content_type="application/pdf")
    else:
        response = HttpResponse(disclosure.as_json(record), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="disclosure-{obj.pk}-{stamp}.{fmt}"'
    return response


@never_cache
@login_required
@require_GET
def duplicates(request):
    """Requests waiting for triage that may be the same household as another agency's open request."""
    require_coordinator(request)
    pairs = dup.possible_duplicates(request.user)
    if pairs:
        audit.record_view(
            request,
            object_type="delivery_request",
            object_id="possible_duplicates",
            detail={"ids": sorted({p.request.pk for p in pairs} | {p.other.pk for p in pairs})},
        )
    return render(request, "console/duplicates.html", {"pairs": pairs})


@never_cache
@login_required
@require_GET
def compare(request, pk: int, other_pk: int):
    """Two requests side by side, to decide whether they are one household."""
    require_coordinator(request)
    scoped = DeliveryRequest.objects.filter(
        food_bank_id__in=coordinator_food_bank_ids(request.user)
    ).select_related("recipient", "agency")
    pair = [get_or_404(scoped, pk=pk), get_or_404(scoped, pk=other_pk)]
    for r in pair:
        referral_services.record_request_view(request=request, delivery_request=r, detail={"compare": True})
    rows = [(r, display_phone(r.recipient.phone)) for r in pair]
    return render(request, "console/compare.html", {"rows": rows})
