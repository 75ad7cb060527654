"""Pages: the case worker's request form and list, a request's page, the coordinator's triage.

The same selectors and services as the API; the form is checked by the API's serializer.
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
from foodbank.models import Role
from foodbank.selectors import coordinator_food_bank_ids, has_role
from inventory import allergens
from inventory.sizing import rule_for, size_for

from . import corrections, selectors, services
from .correction_views import may_correct
from .forms import COOKING_CHOICES, DeliveryRequestForm
from .models import DeliveryRequest, ExtraItem
from .referral_views import referral_proposals
from .serializers import (
    DeliveryRequestIn,
    agency_consent_inputs,
    household_input,
    needs_input,
    recipient_input,
)
from .validation import display_phone

S = DeliveryRequest.Status


@login_required
def request_new(request):
    """A case worker files a delivery request (Japanese, phone-sized)."""
    if not has_role(request.user, Role.CASE_WORKER):
        raise PermissionDenied
    agencies = selectors.case_worker_agencies(request.user)
    form = DeliveryRequestForm(request.POST or None, agencies=agencies)
    if request.method == "POST" and form.is_valid():
        serializer = DeliveryRequestIn(data=form.api_body())
        if not serializer.is_valid():
            form.add_api_errors(serializer.errors)
        else:
            data = serializer.validated_data
            agency = next((a for a in agencies if a.pk == data["agency"]), agencies[0])
            try:
                created = services.file_delivery_request(
                    filed_by=request.user,
                    agency=agency,
                    recipient=recipient_input(data["recipient"]),
                    household=household_input(data["household"]),
                    needs=needs_input(data),
                    consents=agency_consent_inputs(data["consent"]),
                    client_reference=data["client_reference"].strip(),
                )
            except DomainError as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(
                    request,
                    _("Request %(reference)s was sent to the food bank.") % {"reference": created.reference},
                )
                return redirect("referrals:request-detail", pk=created.pk)
    status_code = 400 if request.method == "POST" else 200
    return render(request, "referrals/request_form.html", {"form": form}, status=status_code)


@login_required
def request_list(request):
    """The agency's requests (case worker) or the food bank's (coordinator), newest first."""
    if not selectors.may_read_requests(request.user):
        raise PermissionDenied
    qs = selectors.visible_requests(request.user).order_by("-submitted_at", "-pk")
    status = request.GET.get("status", "")
    if status in S.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    services.record_request_list_view(request=request, requests=page)
    return render(
        request,
        "referrals/request_list.html",
        {
            "page": page,
            "status": status,
            "statuses": S.choices,
            "can_file": has_role(request.user, Role.CASE_WORKER),
        },
    )


@login_required
def request_detail(request, pk: int):
    if not selectors.may_read_requests(request.user):
        raise PermissionDenied
    try:
        detail = selectors.request_detail(request.user, pk)
    except DeliveryRequest.DoesNotExist:
        raise Http404 from None
    obj = detail.request
    services.record_request_view(request=request, delivery_request=obj)
    return render(
        request,
        "referrals/request_detail.html",
        {
            "r": obj,
            "phone": display_phone(obj.recipient.phone),
            "cooking": [str(label) for key, label in COOKING_CHOICES if getattr(obj, key)],
            # What packing avoids (ticked, and named in the free text), as printed on packages.
            "allergens": [allergens.label(code) for code in obj.avoided_allergens],
            # What the dispatch batch did about them: an allergen-free alternative, a substitution.
            "allergen_packing": [note.text for note in selectors.allergen_packing(obj)],
            "extras": [_extra_label(e) for e in obj.extras],
            "events": _with_corrections(detail.events),
            "consents": detail.consents,
            "can_cancel": obj.status in selectors.CANCELLABLE and selectors.may_cancel(request.user, obj),
            "can_correct": obj.status in may_correct(request.user, obj),
            "can_triage": obj.status == S.SUBMITTED and selectors.is_coordinator_of(request.user, obj),
            "referrals": detail.referrals,
            "referral": _referral_info(request.user, obj, detail),
        },
    )


def _with_corrections(events):
    """Events with ``corrected`` set on corrections: the fields' names as people read them."""
    for event in events:
        event.corrected = corrections.field_labels(event.fields) if event.fields else ""
    return events


def _referral_info(user, obj: DeliveryRequest, detail) -> dict | None:
    """The coordinator's referral form on the request's page (proposed target, override)."""
    if detail.referrals or not selectors.is_coordinator_of(user, obj):
        return None
    info = referral_proposals([obj])[obj.pk]
    return info if info["consent"] else None


def _extra_label(extra: dict) -> str:
    label = str(ExtraItem(extra["item"]).label) if extra["item"] in ExtraItem.values else extra["item"]
    parts = [label, extra.get("size", ""), f"×{extra.get('quantity', 1)}"]
    if extra.get("note"):
        parts.append(f"({extra['note']})")
    return " ".join(p for p in parts if p)


@login_required
@require_POST
def request_cancel(request, pk: int):
    # A role that may not cancel at all gets 403 before any lookup, as from the API.
    if not has_role(request.user, Role.COORDINATOR, Role.CASE_WORKER):
        raise PermissionDenied
    obj = _visible_or_404(request.user, pk)
    if not selectors.may_cancel(request.user, obj):
        raise PermissionDenied
    reason = request.POST.get("reason", "").strip()[:500]
    try:
        services.cancel_request(request_id=obj.pk, by=request.user, reason=reason)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Request %(reference)s was cancelled.") % {"reference": obj.reference})
    return redirect("referrals:request-detail", pk=obj.pk)


def _visible_or_404(user, pk: int) -> DeliveryRequest:
    try:
        return selectors.visible_requests(user).get(pk=pk)
    except DeliveryRequest.DoesNotExist:
        raise Http404 from None


@login_required
def triage(request):
    """The coordinator's queue: submitted requests and Navi self-referrals, oldest first, with
    urgency flags and the time left until today's dispatch cutoff."""
    if not has_role(request.user, Role.COORDINATOR):
        raise PermissionDenied
    queue = list(selectors.triage_queue(request.user)[:200])
    services.record_request_list_view(request=request, requests=queue)
    contents = _sized_contents(queue)
    sizing_rules = _sizing_rules(request.user)
    left = selectors.time_to_cutoff()
    now = timezone.now()
    return render(
        request,
        "referrals/triage.html",
        {
            "queue": queue,
            "referral_info": referral_proposals(queue),
            "contents": contents,
            "sizing_rules": sizing_rules,
            "triage_url": reverse("referrals:triage"),
            "cutoff": selectors.cutoff_at(),
            "left_hours": int(left.total_seconds() // 3600) if left else None,
            "left_minutes": int(left.total_seconds() % 3600 // 60) if left else None,
            "now": now,
        },
    )


def _sized_contents(queue: list[DeliveryRequest]) -> dict[int, str]:
    """What each request would get under its food bank's sizing rule (inventory.sizing), e.g.
    「家庭向けパック × 10（5箱）」: two queries per food bank in the queue."""
    rules: dict[int, list] = {}
    out = {}
    for r in queue:
        if r.food_bank_id not in rules:
            rules[r.food_bank_id] = rule_for(food_bank_id=r.food_bank_id)
        sizing = size_for(people=r.recipient.household_size, days=r.days_needed, rule=rules[r.food_bank_id])
        text = "、".join(f"{pack_type.name} × {n}" for pack_type, n in sizing.lines)
        if sizing.boxes > 1:
            text += _(" (%(boxes)d boxes)") % {"boxes": sizing.boxes}
        out[r.pk] = text
    return out


def _sizing_rules(user) -> list:
    """The rule of each food bank the coordinator triages for (inventory.sizing), shown above the
    queue so the sizes below can be read; the console's 「配分ルール」 page changes it."""
    return [rule for fb in sorted(coordinator_food_bank_ids(user)) if (rule := rule_for(food_bank_id=fb))]


def _triage_target(request, pk: int) -> DeliveryRequest:
    if not has_role(request.user, Role.COORDINATOR):
        raise PermissionDenied
    obj = _visible_or_404(request.user, pk)
    if not selectors.is_coordinator_of(request.user, obj):
        raise Http404
    return obj


@login_required
@require_POST
def triage_approve(request, pk: int):
    obj = _triage_target(request, pk)
    try:
        services.approve_request(request_id=obj.pk, by=request.user)
    except DomainError as exc:
        messages.error(request, f"{obj.reference}: {exc.message}")
    else:
        messages.success(request, _("%(reference)s approved.") % {"reference": obj.reference})
    return redirect("referrals:triage")


@login_required
@require_POST
def triage_decline(request, pk: int):
    obj = _triage_target(request, pk)
    reason = request.POST.get("reason", "").strip()[:500]
    if not reason:
        messages.error(request, _("%(reference)s: give a reason to decline.") % {"reference": obj.reference})
        return redirect("referrals:triage")
    try:
        services.decline_request(request_id=obj.pk, by=request.user, reason=reason)
    except DomainError as exc:
        messages.error(request, f"{obj.reference}: {exc.message}")
    else:
        messages.success(request, _("%(reference)s declined.") % {"reference": obj.reference})
    return redirect("referrals:triage")
