"""Pages: the window page (phone first) and the coordinators' stock overview.

The handout and restock forms carry an idempotency key generated when the page was rendered; a
double tap, a browser retry or the page's own retry on a flaky connection sends the same key, and
``foodbank.idempotency.run_once`` records the handout once. After a POST the page redirects to
itself with ``?recorded=<id>`` (not a session message, so that the script's fetch, which follows
the redirect, does not consume it).
"""

from contextlib import suppress

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from foodbank import selectors as core
from foodbank.exceptions import DomainError, IdempotencyKeyInUse, IdempotencyKeyReused, InvalidTransition
from foodbank.idempotency import run_once
from foodbank.ids import is_id_text
from foodbank.models import Role, Site

from . import late_entry, offline, selectors, services
from .exceptions import InsufficientStock
from .forms import HandoutForm, RestockRequestForm, fingerprint, new_key
from .models import ExpiryReport, Handout, RestockShipment

HISTORY_PAGE_SIZE = 30


def _window_for(request, site_id: int) -> Site:
    """The window if the user is its staff or a coordinator of its food bank; 404 otherwise."""
    site = selectors.window_of(request.user, site_id)
    if site is not None:
        return site
    site = Site.objects.filter(pk=site_id, kind=Site.Kind.WINDOW).first()
    if site is None or not selectors.is_coordinator_of(request.user, site.food_bank_id):
        raise Http404()
    return site


def _page_url(site: Site, **params) -> str:
    url = reverse("inventory:window", args=[site.pk])
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


def _shortage_message(exc: InsufficientStock, pack_types) -> str:
    names = {pt.code: pt.name for pt in pack_types}
    parts = [
        _("%(name)s: %(available)s left, %(requested)s asked for")
        % {"name": names.get(x["sku"], x["sku"]), "available": x["available"], "requested": x["requested"]}
        for x in exc.shortages
    ]
    return _("Not enough stock (%(parts)s). Nothing was recorded.") % {"parts": "; ".join(parts)}


def _window_stock(site: Site, *, today=None):
    """The pack types this window deals in: those with a par level, stock now or before, or sets on
    the way. A window that has none yet sees every pack type, so it can ask for a first restock."""
    stock = selectors.pack_stock(site, today=today)
    relevant = [row for row in stock if row.par is not None or row.stocked or row.in_transit]
    return relevant or stock


def _suggested_restock(stock) -> dict[str, int]:
    return {
        row.pack_type.code: max(0, row.par - row.quantity - row.in_transit)
        for row in stock
        if row.par is not None and row.par > row.quantity + row.in_transit
    }


@login_required
def window(request, site_id: int):
    """The window's stock at a glance, the handout form, recent handouts and restocks."""
    site = _window_for(request, site_id)
    is_staff = selectors.window_of(request.user, site.pk) is not None
    pack_types = [row.pack_type for row in _window_stock(site)]
    status, error = 200, None
    if request.method == "POST":
        if not is_staff:
            raise PermissionDenied()
        form = HandoutForm(request.POST, pack_types=pack_types)
        if form.is_valid():
            data = form.cleaned_data
            try:
                pk, _replayed = run_once(
                    user=request.user,
                    scope="inventory.handout-form",
                    key=data["idempotency_key"],
                    fingerprint=fingerprint(request.POST),
                    create=lambda: services.record_handout(
                        site=site,
                        lines=data["lines"],
                        household_size=data["household_size"],
                        household_type=data["household_type"],
                        referral_consent=data["referral_consent"],
                        condition_checked=data["condition_checked"],
                        note=data["note"],
                        occurred_at=data["occurred_at"],
                        recorded_by=request.user,
                    ),
                )
                return HttpResponseRedirect(_page_url(site, recorded=pk))
            except IdempotencyKeyInUse:
                # The first tap is still being recorded: show the page; it appears in the list.
                return HttpResponseRedirect(_page_url(site, pending=1))
            except InsufficientStock as exc:
                status, error = 409, _shortage_message(exc, pack_types)
            except IdempotencyKeyReused:
                status, error = (
                    422,
                    _("This form was already sent with other values. Check and send it again."),
                )
        else:
            status = 400
        form = form.with_new_key()
    else:
        form = HandoutForm(initial={"idempotency_key": new_key()}, pack_types=pack_types)
    return render(
        request, "inventory/window.html", _window_context(request, site, form, is_staff, error), status=status
    )


def _window_context(request, site: Site, form, is_staff: bool, error: str | None, restock_form=None) -> dict:
    today = timezone.localdate()
    stock = _window_stock(site, today=today)
    pack_types = [row.pack_type for row in stock]
    recorded = None
    if is_id_text(request.GET.get("recorded", "")):
        recorded = (
            selectors.visible_handouts(request.user)
            .filter(site=site, pk=int(request.GET["recorded"]))
            .first()
        )
    if restock_form is None:
        restock_form = RestockRequestForm(
            initial={"idempotency_key": new_key()}, pack_types=pack_types, suggested=_suggested_restock(stock)
        )
    return {
        "site": site,
        "stock": stock,
        # The offline page script's data (docs/window-offline.md); staff only, who can hand out.
        "offline_config": (
            offline.page_config(site=site, user=request.user, stock=stock) if is_staff else None
        ),
        "form": form,
        "restock_form": restock_form,
        "is_staff": is_staff,
        "error": error,
        "recorded": recorded,
        "pending": request.GET.get("pending") == "1",
        "requested": request.GET.get("requested"),
        "recent": selectors.recent_handouts(site),
        "tally": selectors.month_tally(site, today=today),
        "today": today,
        "earliest_entry": late_entry.earliest_allowed(),
        "late_entry_days": settings.HANDOUT_LATE_ENTRY_DAYS,
        "restocks": list(
            selectors.visible_restock_shipments(request.user)
            .filter(to_site=site, status__in=RestockShipment.OPEN)
            .order_by("-created_at")
        ),
        "expiring": list(
            selectors.expiring_lots(site, today=today, within_days=settings.INVENTORY_EXPIRY_WARNING_DAYS)
        ),
    }


@login_required
@require_POST
def window_restock(request, site_id: int):
    """The window asks the food bank for sets."""
    site = selectors.window_of(request.user, site_id)
    if site is None:
        raise Http404()
    pack_types = [row.pack_type for row in _window_stock(site)]
    form = RestockRequestForm(request.POST, pack_types=pack_types)
    error = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            pk, _replayed = run_once(
                user=request.user,
                scope="inventory.restock-form",
                key=data["idempotency_key"],
                fingerprint=fingerprint(request.POST),
                create=lambda: services.request_restock(
                    site=site, lines=data["lines"], requested_by=request.user, note=data["note"]
                ),
            )
            return HttpResponseRedirect(_page_url(site, requested=pk) + "#restock")
        except IdempotencyKeyInUse:
            return HttpResponseRedirect(_page_url(site, pending=1) + "#restock")
        except (IdempotencyKeyReused, ValidationError, DomainError):
            error = _("The request could not be sent. Check the numbers and send it again.")
    handout_form = HandoutForm(initial={"idempotency_key": new_key()}, pack_types=pack_types)
    context = _window_context(request, site, handout_form, True, error, restock_form=form.with_new_key())
    return render(request, "inventory/window.html", context, status=400)


@login_required
@require_POST
def window_receive(request, site_id: int, pk: int):
    """The window confirms a restock arrived (confirming twice changes nothing)."""
    site = _window_for(request, site_id)
    shipment = get_object_or_404(selectors.visible_restock_shipments(request.user), pk=pk, to_site=site)
    with suppress(InvalidTransition):  # not packed yet: the page shows its status
        services.confirm_restock_receipt(shipment_id=shipment.pk, received_by=request.user)
    return HttpResponseRedirect(_page_url(site) + "#restock")


@login_required
@require_POST
def window_void(request, site_id: int, pk: int):
    """Undo a handout logged by mistake today (voiding twice changes nothing)."""
    site = selectors.window_of(request.user, site_id)
    if site is None:
        raise Http404()
    handout = get_object_or_404(Handout, pk=pk, site=site)
    services.void_handout(handout_id=handout.pk, voided_by=request.user)
    return HttpResponseRedirect(_page_url(site) + "#recent")


@login_required
def window_history(request, site_id: int):
    """Every handout of the window, newest first, 30 a page (the window page shows the last 10)."""
    site = _window_for(request, site_id)
    page = Paginator(selectors.handout_history(site), HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "inventory/window_history.html",
        {"site": site, "page": page, "is_staff": selectors.window_of(request.user, site.pk) is not None},
    )


# --- Coordinators ---------------------------------------------------------------------------------


def _coordinated_food_bank(request) -> int:
    ids = sorted(core.food_bank_ids(request.user, Role.COORDINATOR))
    if not ids:
        raise PermissionDenied()
    wanted = request.GET.get("food_bank", "")
    if wanted.isascii() and wanted.isdigit() and int(wanted) in ids:
        return int(wanted)
    return ids[0]


@login_required
def overview(request):
    """Stock at every site of the food bank, restocks to approve and those on their way."""
    food_bank_id = _coordinated_food_bank(request)
    today = timezone.localdate()
    sites = list(Site.objects.filter(food_bank_id=food_bank_id, active=True).order_by("-kind", "name"))
    table = selectors.network_pack_stock(food_bank_id, sites=sites, today=today)
    shipments = list(
        selectors.visible_restock_shipments(request.user)
        .filter(food_bank_id=food_bank_id, status__in=RestockShipment.OPEN)
        .order_by("status", "created_at")
    )
    return render(
        request,
        "inventory/overview.html",
        {
            "pack_types": selectors.active_pack_types(food_bank_id),
            "rows": [{"site": site, "cells": table[site.pk]} for site in sites],
            "to_approve": [x for x in shipments if x.status in ("requested", "proposed")],
            "in_progress": [x for x in shipments if x.status not in ("requested", "proposed")],
            "expiry_reports": list(
                ExpiryReport.objects.filter(food_bank_id=food_bank_id, report_date=today).select_related(
                    "site"
                )
            ),
            "today": today,
        },
    )


def _coordinator_shipment(request, pk: int) -> RestockShipment:
    shipment = get_object_or_404(selectors.visible_restock_shipments(request.user), pk=pk)
    if not selectors.is_coordinator_of(request.user, shipment.food_bank_id):
        raise PermissionDenied()
    return shipment


@login_required
@require_POST
def restock_approve(request, pk: int):
    shipment = _coordinator_shipment(request, pk)
    with suppress(InvalidTransition):  # approved (or cancelled) meanwhile: the overview shows it
        services.approve_restock(shipment_id=shipment.pk, approved_by=request.user)
    return HttpResponseRedirect(reverse("inventory:overview"))


@login_required
@require_POST
def restock_cancel(request, pk: int):
    shipment = _coordinator_shipment(request, pk)
    with suppress(InvalidTransition):  # packed meanwhile: the overview shows it
        services.cancel_restock(shipment_id=shipment.pk)
    return HttpResponseRedirect(reverse("inventory:overview"))
