"""Stock corrections from the window's phone (docs/window-offline.md): write off an expired or
damaged set, count the shelf (a short stock-take), and confirm a colleague's count.

Thin views over ``inventory.services`` (``record_adjustment``, ``record_stock_take``,
``confirm_stock_take``): the ledger's rules hold as everywhere (a write-off takes at most what is on
hand; a count is confirmed by someone other than the counter; a large difference needs a
coordinator). The forms carry an idempotency key like the handout form, so a double tap writes once.
Window staff of the window only; a coordinator reads the page.
"""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from foodbank.exceptions import DomainError, IdempotencyKeyInUse
from foodbank.idempotency import run_once

from . import selectors, services
from .forms import fingerprint, new_key
from .models import Balance, MovementKind, ReasonCode, StockTake
from .views import _window_for

WRITE_OFF_REASONS = [
    (ReasonCode.EXPIRED, gettext_lazy("Expired")),
    (ReasonCode.DAMAGED, gettext_lazy("Damaged")),
]


class WriteOffForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    lot = forms.TypedChoiceField(label=gettext_lazy("Which sets"), coerce=int)
    quantity = forms.IntegerField(label=gettext_lazy("How many"), min_value=1, max_value=1000)
    reason = forms.ChoiceField(label=gettext_lazy("Why"), choices=WRITE_OFF_REASONS)

    def __init__(self, *args, lots, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lot"].choices = [(lot.pk, _lot_label(lot)) for lot in lots]


def _lot_label(lot: Balance) -> str:
    when = lot.best_before.isoformat() if lot.best_before else _("no date")
    return _("%(name)s, best before %(date)s (%(n)s on hand)") % {
        "name": lot.pack_type.name,
        "date": when,
        "n": lot.on_hand,
    }


def _lots(site):
    """The window's lots of sets, on hand or not (a count may find sets the ledger lost)."""
    return list(
        Balance.objects.filter(site=site, pack_type__isnull=False)
        .select_related("pack_type")
        .order_by("pack_type__sort_order", "pack_type__code", "best_before", "pk")
    )


def _why(exc: Exception) -> str:
    if isinstance(exc, DomainError):
        return str(exc.message)
    return " ".join(exc.messages)


def _staff_window(request, site_id: int):
    site = selectors.window_of(request.user, site_id)
    if site is None:
        raise Http404()
    return site


def _page_url(site, **params) -> str:
    url = reverse("inventory:window-stock", args=[site.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def _render(request, site, *, write_off=None, error=None, status=200):
    lots = _lots(site)
    is_staff = selectors.window_of(request.user, site.pk) is not None
    return render(
        request,
        "inventory/window_stock.html",
        {
            "site": site,
            "is_staff": is_staff,
            "lots": lots,
            "today": timezone.localdate(),
            "write_off": write_off
            or WriteOffForm(initial={"idempotency_key": new_key()}, lots=[x for x in lots if x.on_hand]),
            "count_key": new_key(),
            "counts": list(
                StockTake.objects.filter(site=site, status=StockTake.Status.COUNTED)
                .select_related("counted_by")
                .prefetch_related("lines__pack_type")
                .order_by("-counted_at")
            ),
            "error": error,
            "done": request.GET.get("done", ""),
        },
        status=status,
    )


@login_required
def window_stock(request, site_id: int):
    """The lots on the shelf, a write-off form, a count form and counts awaiting confirmation."""
    return _render(request, _window_for(request, site_id))


@login_required
@require_POST
def window_write_off(request, site_id: int):
    site = _staff_window(request, site_id)
    form = WriteOffForm(request.POST, lots=[x for x in _lots(site) if x.on_hand])
    if not form.is_valid():
        return _render(request, site, write_off=form, status=400)
    data = form.cleaned_data
    lot = get_object_or_404(Balance, pk=data["lot"], site=site, pack_type__isnull=False)
    try:
        run_once(
            user=request.user,
            scope="inventory.write-off-form",
            key=data["idempotency_key"],
            fingerprint=fingerprint(request.POST),
            create=lambda: services.record_adjustment(
                site=site,
                pack_type=lot.pack_type,
                best_before=lot.best_before,
                lot_id=lot.lot_id,
                quantity=-data["quantity"],
                reason=data["reason"],
                kind=MovementKind.WRITE_OFF,
                recorded_by=request.user,
            ),
        )
    except IdempotencyKeyInUse:
        pass  # the first tap is being written; the page shows the result
    except (DomainError, ValidationError) as exc:
        return _render(request, site, error=_why(exc), status=409)
    return HttpResponseRedirect(_page_url(site, done="write-off"))


@login_required
@require_POST
def window_count(request, site_id: int):
    """Record a count of the lots given (a field left empty is not counted)."""
    site = _staff_window(request, site_id)
    lines = []
    for lot in _lots(site):
        raw = request.POST.get(f"counted_{lot.pk}", "").strip()
        if not raw:
            continue
        if not raw.isdigit() or int(raw) > 100_000:
            return _render(request, site, error=_("Enter the number of sets counted."), status=400)
        lines.append(
            services.CountIn(
                counted=int(raw),
                pack_type=lot.pack_type,
                best_before=lot.best_before,
                lot_id=lot.lot_id,
                reason=ReasonCode.COUNT_DIFFERENCE,
            )
        )
    if not lines:
        return _render(request, site, error=_("Count at least one line."), status=400)
    try:
        run_once(
            user=request.user,
            scope="inventory.count-form",
            key=request.POST.get("idempotency_key", "")[:64] or new_key(),
            fingerprint=fingerprint(request.POST),
            create=lambda: services.record_stock_take(site=site, lines=lines, counted_by=request.user),
        )
    except IdempotencyKeyInUse:
        pass
    except (DomainError, ValidationError) as exc:
        return _render(request, site, error=_why(exc), status=409)
    return HttpResponseRedirect(_page_url(site, done="count"))


@login_required
@require_POST
def window_count_confirm(request, site_id: int, pk: int):
    """Confirm a colleague's count: the differences are booked (not one's own count)."""
    site = _staff_window(request, site_id)
    take = get_object_or_404(StockTake, pk=pk, site=site)
    try:
        services.confirm_stock_take(stock_take_id=take.pk, confirmed_by=request.user)
    except DomainError as exc:
        return _render(request, site, error=str(exc.message), status=exc.status_code)
    return HttpResponseRedirect(_page_url(site, done="confirmed"))
