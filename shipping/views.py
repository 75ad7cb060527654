"""Pages: the coordinators' dispatch batches (run, watch progress, download, upload tracking) and the
volunteers' packing station (scan or pick a parcel, see what goes in, mark it packed).

The station shows packing data only: parcels hold no situation note, debts or consent at all.
"""

import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from foodbank.exceptions import DomainError
from foodbank.ids import is_id_text
from foodbank.models import Role
from foodbank.selectors import food_bank_ids, has_role
from foodbank.uploads import read_text_upload

from . import boxes, deliveries, delivery_status, relabelling, selectors, services, withdrawals
from .forms import PantryShipmentForm, VoidForm
from .models import BatchDocument, DispatchBatch, Parcel

# A box's reference in the carrier's file (carriers.box_reference): ``<reference>-<n>of<N>``.
BOX_REFERENCE = re.compile(r"^(?P<reference>.+)-\d+of\d+$")

# What the packing station says of a parcel taken out of its batch (docs/journeys.md).
SET_ASIDE = gettext_lazy("Shipment cancelled: set the box aside.")


def _visible_batch(request, pk: int) -> DispatchBatch:
    if not selectors.may_see_shipping(request.user):
        raise PermissionDenied
    batch = selectors.visible_batches(request.user).filter(pk=pk).first()
    if batch is None:
        raise Http404
    return batch


def _is_coordinator(user, batch=None) -> bool:
    ids = food_bank_ids(user, Role.COORDINATOR)
    return bool(ids) if batch is None else batch.food_bank_id in ids


@login_required
def batch_list(request):
    if not selectors.may_see_shipping(request.user):
        raise PermissionDenied
    coordinator = _is_coordinator(request.user)
    if request.method == "POST":
        if not coordinator:
            raise PermissionDenied
        ship_date = parse_date(request.POST.get("ship_date", ""))
        account = (
            selectors.coordinated_accounts(request.user).filter(pk=request.POST.get("account") or 0).first()
        )
        if ship_date is None or account is None:
            messages.error(request, _("Choose a carrier account and a ship date."))
        else:
            batch, _created = services.open_batch(account_id=account.pk, ship_date=ship_date, by=request.user)
            return HttpResponseRedirect(reverse("shipping:batch", args=[batch.pk]))
    context = {
        "batches": selectors.visible_batches(request.user).order_by("-ship_date", "-pk")[:30],
        "accounts": selectors.coordinated_accounts(request.user) if coordinator else [],
        "coordinator": coordinator,
        "today": timezone.localdate(),
    }
    return render(request, "shipping/batch_list.html", context)


@login_required
def batch_detail(request, pk: int, status_result: dict | None = None):
    batch = _visible_batch(request, pk)
    coordinator = _is_coordinator(request.user, batch)
    result = None
    if request.method == "POST" and status_result is None:
        if not coordinator:
            raise PermissionDenied

        try:
            text = read_text_upload(
                request.FILES.get("file"), max_lines=services.tracking_import_max_rows(batch.pk)
            )
            result = services.import_tracking(batch_id=batch.pk, data=text.encode("utf-8"), by=request.user)
        except DomainError as exc:
            messages.error(request, str(exc.detail if hasattr(exc, "detail") else exc))
    documents = [
        (kind, label, kind in set(BatchDocument.objects.filter(batch=batch).values_list("kind", flat=True)))
        for kind, label in BatchDocument.Kind.choices
        if kind in services.document_kinds(batch.account)
        and selectors.may_download(request.user, batch, kind)
    ]
    context = {
        "batch": batch,
        "counts": services.batch_counts(batch.pk),
        "documents": documents,
        "coordinator": coordinator,
        "void_form": VoidForm(auto_id="void_%s") if coordinator else None,
        "withdrawn": withdrawals.withdrawn_in_batch(batch.pk) if coordinator else [],
        "relabelled": relabelling.relabelled_in_batch(batch.pk) if coordinator else [],
        "delivery_assumed_after_days": settings.DELIVERY_ASSUMED_AFTER_DAYS,
        "result": result,
        "status_result": status_result,
        "status_url": reverse("shipping:batch-status", args=[batch.pk]),
    }
    return render(request, "shipping/batch_detail.html", context)


@login_required
def batch_status(request, pk: int):
    """Small JSON the pages poll: status, progress, packed / left."""
    batch = _visible_batch(request, pk)
    return JsonResponse(
        {"status": batch.status, "status_label": batch.get_status_display(), "progress": batch.progress}
        | services.batch_counts(batch.pk)
    )


@login_required
def station(request, pk: int):
    """Packing station: a scanner types the reference (the slip's QR code) and Enter."""
    batch = _visible_batch(request, pk)
    parcel = None
    scanned = (request.GET.get("ref") or "").strip()
    if scanned:
        parcel = Parcel.objects.filter(batch=batch, reference=scanned).first()
        if parcel is None and (box := BOX_REFERENCE.match(scanned)):
            # A box's carrier reference typed from its label (<reference>-<n>of<N>): its parcel.
            parcel = Parcel.objects.filter(batch=batch, reference=box["reference"], boxes__gt=1).first()
        if parcel is None:
            messages.error(request, _("No parcel %(ref)s in this batch.") % {"ref": scanned})
    elif is_id_text(request.GET.get("parcel", "")):
        parcel = Parcel.objects.filter(batch=batch, pk=int(request.GET["parcel"])).first()
    left = list(
        Parcel.objects.filter(batch=batch, status=Parcel.Status.BATCHED)
        .order_by("pk")
        .values("id", "reference", "recipient_name")[:200]
    )
    if parcel is not None:
        services.record_parcel_view(request=request, parcel=parcel)
    services.record_parcel_list_view(request=request, ids=[row["id"] for row in left])
    context = {
        "batch": batch,
        "parcel": parcel,
        # A parcel of several boxes: what goes into each, as each box's slip lists it.
        "boxes": boxes.split_into_boxes(boxes.packing_notes(parcel), parcel.boxes)
        if parcel is not None and parcel.boxes > 1
        else (),
        "left": left,
        "counts": services.batch_counts(batch.pk),
        "status_url": reverse("shipping:batch-status", args=[batch.pk]),
        "set_aside": SET_ASIDE,
    }
    return render(request, "shipping/station.html", context)


@login_required
@require_POST
def station_pack(request, pk: int, parcel_id: int):
    batch = _visible_batch(request, pk)
    parcel = Parcel.objects.filter(batch=batch, pk=parcel_id).first()
    if parcel is None:
        raise Http404
    if parcel.status == Parcel.Status.VOID:  # cancelled after its slip was printed
        messages.warning(request, SET_ASIDE)
        return HttpResponseRedirect(reverse("shipping:station", args=[batch.pk]) + f"?parcel={parcel.pk}")
    try:
        # An unticked box is recorded as "not checked" (docs/traceability.md), not refused.
        checked = request.POST.get("condition_checked") == "on"
        services.mark_packed(parcel_id=parcel.pk, by=request.user, condition_checked=checked)
        messages.success(request, _("%(ref)s is packed.") % {"ref": parcel.reference})
    except DomainError as exc:
        messages.error(request, str(exc))
    return HttpResponseRedirect(reverse("shipping:station", args=[batch.pk]))


def _coordinated_batch(request, pk: int) -> DispatchBatch:
    """A coordinator's batch: other roles 403 before the lookup, other food banks 404."""
    if not has_role(request.user, Role.COORDINATOR):
        raise PermissionDenied
    batch = (
        selectors.visible_batches(request.user)
        .filter(pk=pk, food_bank_id__in=selectors.coordinated_food_bank_ids(request.user))
        .first()
    )
    if batch is None:
        raise Http404
    return batch


@login_required
@require_POST
def batch_void(request, pk: int):
    """Void one parcel of the batch by its reference (scanned or typed); see services.void_parcel."""
    batch = _coordinated_batch(request, pk)
    form = VoidForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the parcel's reference and a reason."))
        return HttpResponseRedirect(reverse("shipping:batch", args=[batch.pk]))
    reference = form.cleaned_data["reference"].strip()
    parcel = Parcel.objects.filter(batch=batch, reference=reference).first()
    if parcel is None:
        messages.error(request, _("No parcel %(ref)s in this batch.") % {"ref": reference})
        return HttpResponseRedirect(reverse("shipping:batch", args=[batch.pk]))
    try:
        parcel, instructions = services.void_parcel(
            parcel_id=parcel.pk,
            by=request.user,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
    except DomainError:
        messages.error(
            request,
            _("%(ref)s is %(status)s: it can no longer be voided.")
            % {"ref": parcel.reference, "status": parcel.get_status_display()},
        )
    else:
        messages.success(request, _("%(ref)s is void.") % {"ref": parcel.reference})
        if instructions:
            messages.warning(request, instructions)
    return HttpResponseRedirect(reverse("shipping:batch", args=[batch.pk]))


@login_required
@require_POST
def batch_handed_over(request, pk: int):
    batch = _coordinated_batch(request, pk)
    count = services.mark_handed_over(batch_id=batch.pk, by=request.user)
    messages.success(
        request,
        ngettext("%(n)d parcel handed over.", "%(n)d parcels handed over.", count) % {"n": count},
    )
    return HttpResponseRedirect(reverse("shipping:batch", args=[batch.pk]))


@login_required
def pantry(request):
    """Coordinators: pantry-backup shipments to partner groups (list, and a form for a new one)."""
    if not has_role(request.user, Role.COORDINATOR):
        raise PermissionDenied
    form = PantryShipmentForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        partner = data.pop("partner")
        shipment = services.create_pantry_shipment(
            food_bank_id=partner.food_bank_id, by=request.user, partner=partner, **data
        )
        messages.success(
            request,
            _("Pantry shipment for %(partner)s saved: the next batch takes it.") % {"partner": partner.name},
        )
        return HttpResponseRedirect(f"{reverse('shipping:pantry')}#shipment-{shipment.pk}")
    shipments = selectors.visible_pantry_shipments(request.user).order_by("-created_at", "-pk")[:50]
    # A form sent back with its errors is a 400, as on the other pages' forms.
    return render(
        request,
        "shipping/pantry.html",
        {"form": form, "shipments": shipments},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def batch_outcomes(request, pk: int):
    """Mark parcels of the batch delivered or returned, by reference (one a line, scanned or typed):
    see shipping.deliveries."""
    batch = _coordinated_batch(request, pk)
    outcome = request.POST.get("outcome", "")
    references = request.POST.get("references", "").split()[:500]
    if outcome not in (Parcel.Status.DELIVERED, Parcel.Status.RETURNED) or not references:
        messages.error(request, _("Give the parcels' references and what became of them."))
        return HttpResponseRedirect(reverse("shipping:batch", args=[batch.pk]))
    result = deliveries.mark_outcomes(
        batch_id=batch.pk, references=references, outcome=outcome, by=request.user
    )
    if result["done"]:
        messages.success(
            request,
            ngettext("%(n)d parcel recorded.", "%(n)d parcels recorded.", len(result["done"]))
            % {"n": len(result["done"])},
        )
    for refused in result["refused"]:
        messages.error(
            request,
            _("%(ref)s was not changed (%(reason)s).")
            % {"ref": refused["reference"], "reason": refused["reason"]},
        )
    return HttpResponseRedirect(reverse("shipping:batch", args=[batch.pk]))


@login_required
@require_POST
def batch_delivery_status(request, pk: int):
    """Import the courier's delivery status (shipping.delivery_status); the batch page shows what
    was marked and every refused row."""
    batch = _coordinated_batch(request, pk)
    try:
        text = read_text_upload(request.FILES.get("file"), max_lines=delivery_status.max_rows(batch.pk))
        result = delivery_status.import_delivery_status(batch_id=batch.pk, text=text, by=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.detail if hasattr(exc, "detail") else exc))
        return HttpResponseRedirect(reverse("shipping:batch", args=[batch.pk]))
    return batch_detail(request, pk, status_result=result)
