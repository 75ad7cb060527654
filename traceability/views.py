"""Pages of traceability (docs/traceability.md): intake inspection at the warehouse (phone first),
the donor registry, and the recall page (trace, one-action quarantine, reports).

Intake: coordinators and warehouse volunteers. Donors and recall: coordinators of the food bank
only; every recall view is audited (``views_common.audit_trace``).
"""

import hashlib
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError as DRFValidationError

from foodbank import selectors as core
from foodbank.exceptions import DomainError
from foodbank.idempotency import run_once
from foodbank.ids import is_id_text
from foodbank.models import Organisation, Role, Site
from inventory import intake as intake_services
from inventory.lot_models import Donor
from inventory.models import DonationReceipt, Item
from inventory.recall import start_recall

from .forms import DonationForm, DonorForm, InspectedLineForm, QuarantineForm, TraceForm
from .trace import recall_food_banks, trace, visible_recalls
from .views_common import audit_trace, lots_for_query, trace_data

LINE_BLOCKS = 4


def new_key() -> str:
    return uuid.uuid4().hex


def fingerprint(data) -> str:
    """A digest of what a submitted form asks for (without the CSRF token, which changes)."""
    digest = hashlib.sha256()
    for name in sorted(data):
        if name != "csrfmiddlewaretoken":
            for value in data.getlist(name):
                digest.update(f"{name}={value}\0".encode())
    return digest.hexdigest()


def _one_food_bank(ids: set[int]) -> int:
    if not ids:
        raise PermissionDenied
    return min(ids)


@login_required
def intake(request):
    """Record a donation with every line inspected: one block per product, a phone-sized page."""
    food_bank_id = _one_food_bank(core.food_bank_ids(request.user, Role.COORDINATOR, Role.VOLUNTEER))
    donors = Donor.objects.filter(food_bank_id=food_bank_id, active=True).order_by("kind", "name")
    sites = Site.objects.filter(food_bank_id=food_bank_id, kind=Site.Kind.WAREHOUSE, active=True)
    volunteer_sites = {
        m.site_id for m in core.memberships_for(request.user) if m.role == Role.VOLUNTEER and m.site_id
    }
    if volunteer_sites and not core.food_bank_ids(request.user, Role.COORDINATOR):
        sites = sites.filter(pk__in=volunteer_sites)
    items = Item.objects.filter(food_bank_id=food_bank_id, active=True).order_by("category", "name")
    data = request.POST if request.method == "POST" else None
    form = DonationForm(data, donors=donors, sites=sites)
    lines = [InspectedLineForm(data, items=items, prefix=f"line-{i}") for i in range(LINE_BLOCKS)]
    recorded = None
    if is_id_text(request.GET.get("recorded", "")):
        recorded = (
            DonationReceipt.objects.filter(food_bank_id=food_bank_id, pk=int(request.GET["recorded"]))
            .prefetch_related("lines__item", "lines__lot")
            .first()
        )
    if data is not None and form.is_valid() and all(f.is_valid() for f in lines):
        inspected = [
            intake_services.InspectedLine(
                item=f.cleaned_data["item"],
                quantity=f.cleaned_data["quantity"],
                best_before=f.cleaned_data["best_before"],
                date_label=f.cleaned_data["date_label"],
                storage=f.cleaned_data["storage"],
                allergens=[*f.cleaned_data["allergens_mandatory"], *f.cleaned_data["allergens_recommended"]],
                weight_kg=f.cleaned_data["weight_kg"],
                product_name=f.cleaned_data["product_name"],
                jan_code=f.cleaned_data["jan_code"],
                condition=f.cleaned_data["condition"],
                accepted=f.cleaned_data["accepted"],
                reject_reason=f.cleaned_data["reject_reason"],
            )
            for f in lines
            if f.cleaned_data.get("item")
        ]
        errors = intake_services.inspection_errors(inspected, today=timezone.localdate())
        used = [f for f in lines if f.cleaned_data.get("item")]
        for index, line_errors in errors.items():
            for field, msgs in line_errors.items():
                for msg in msgs:
                    used[index].add_error(field if field in used[index].fields else None, msg)
        if not inspected:
            form.add_error(None, _("Record at least one product."))
        elif not errors:
            try:
                pk, _replayed = run_once(
                    user=request.user,
                    scope="traceability.intake",
                    key=request.POST.get("idempotency_key", "") or new_key(),
                    fingerprint=fingerprint(request.POST),
                    create=lambda: intake_services.record_inspected_donation(
                        site=form.cleaned_data["site"],
                        donor=form.cleaned_data["donor"],
                        lines=inspected,
                        checked_by=request.user,
                        note=form.cleaned_data["note"],
                    ),
                )
            except (ValidationError, DomainError) as exc:
                form.add_error(None, "; ".join(getattr(exc, "messages", [str(exc)])))
            else:
                return HttpResponseRedirect(reverse("traceability:intake") + f"?recorded={pk}")
    return render(
        request,
        "traceability/intake.html",
        {
            "form": form,
            "lines": lines,
            "recorded": recorded,
            "idempotency_key": new_key(),
            "no_donors": not donors.exists(),
            "is_coordinator": bool(core.food_bank_ids(request.user, Role.COORDINATOR)),
        },
    )


@login_required
def donors(request):
    """The donor registry: who gives food, their agreement on file, their receipts."""
    food_bank_id = _one_food_bank(core.food_bank_ids(request.user, Role.COORDINATOR))
    form = DonorForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            intake_services.save_donor(
                food_bank=Organisation.objects.get(pk=food_bank_id), **form.cleaned_data
            )
        except ValidationError as exc:
            for field, msgs in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, msgs)
        else:
            messages.success(request, _("Donor registered."))
            return HttpResponseRedirect(reverse("traceability:donors"))
    month = timezone.localdate().strftime("%Y-%m")
    rows = Donor.objects.filter(food_bank_id=food_bank_id).order_by("kind", "name", "pk")
    return render(request, "traceability/donors.html", {"form": form, "donors": rows, "month": month})


@login_required
def recall(request):
    """Trace a lot or a product over a range of dates; quarantine all of it with one button."""
    ids = recall_food_banks(request.user)
    food_bank_id = _one_food_bank(ids)
    items = Item.objects.filter(food_bank_id=food_bank_id).order_by("name")
    form = TraceForm(request.GET or None, items=items)
    context = {"form": form, "recalls": visible_recalls(request.user).order_by("-started_at")[:20]}
    if form.is_bound and form.is_valid():
        query = {k: v for k, v in form.cleaned_data.items() if v}
        if "item" in query:
            query["item"] = query["item"].code
        try:
            fb, lot_ids = lots_for_query(request.user, ids, query)
        except DRFValidationError:
            form.add_error(None, _("No such lot or product."))
        else:
            found = trace(food_bank_id=fb, lot_ids=lot_ids)
            audit_trace(request, food_bank_id=fb, found=found, action="recall.trace", object_id="page")
            context.update({"found": found, "data": trace_data(found), "quarantine": QuarantineForm()})
            if request.method == "POST":
                quarantine = QuarantineForm(request.POST)
                if quarantine.is_valid() and lot_ids:
                    lot = found.trail.lots[lot_ids[0]] if form.cleaned_data.get("lot") else None
                    recall_row = start_recall(
                        food_bank=Organisation.objects.get(pk=fb),
                        reason=quarantine.cleaned_data["reason"],
                        started_by=request.user,
                        lot=lot,
                        item=form.cleaned_data.get("item") if lot is None else None,
                        date_from=form.cleaned_data.get("date_from"),
                        date_to=form.cleaned_data.get("date_to"),
                    )
                    messages.success(request, _("Quarantined: this stock is no longer handed out or packed."))
                    return HttpResponseRedirect(reverse("traceability:recall-detail", args=[recall_row.pk]))
                context["quarantine"] = quarantine
    return render(request, "traceability/recall.html", context)


@login_required
def recall_detail(request, pk: int):
    if not recall_food_banks(request.user):
        raise PermissionDenied
    recall_row = get_object_or_404(visible_recalls(request.user), pk=pk)
    found = trace(
        food_bank_id=recall_row.food_bank_id, lot_ids=list(recall_row.lots.values_list("pk", flat=True))
    )
    audit_trace(
        request, food_bank_id=recall_row.food_bank_id, found=found, action="recall.view", object_id=pk
    )
    return render(
        request,
        "traceability/recall_detail.html",
        {"recall": recall_row, "found": found, "data": trace_data(found)},
    )
