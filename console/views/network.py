"""Coordinator pages for the network: partner organisations, windows and warehouses (address by
postal code, opening hours, par levels, active or not)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from foodbank import postal

from .. import network, selectors
from ..forms import OrganisationForm, ParLevelsForm, SiteForm
from .base import add_errors, get_or_404, home_food_bank, require_coordinator


@login_required
@require_GET
def index(request):
    require_coordinator(request)
    return render(
        request,
        "console/index.html",
        {
            "food_banks": selectors.food_banks(request.user),
            "counts": {
                "organisations": selectors.partner_organisations(request.user).count(),
                "sites": selectors.sites(request.user).count(),
                "staff": selectors.staff(request.user).count(),
                "carriers": selectors.carrier_accounts(request.user).count(),
                "pack_types": selectors.pack_types(request.user).count(),
            },
        },
    )


@login_required
@require_GET
def organisation_list(request):
    require_coordinator(request)
    organisations = selectors.partner_organisations(request.user).order_by("-active", "kind", "name")
    return render(request, "console/organisation_list.html", {"organisations": organisations})


@login_required
def organisation_edit(request, pk: int | None = None):
    require_coordinator(request)
    instance = get_or_404(selectors.partner_organisations(request.user), pk=pk) if pk else None
    form = OrganisationForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            saved = network.save_organisation(
                by=request.user,
                food_bank=instance.food_bank if instance else home_food_bank(request),
                instance=instance,
                fields=fields,
                changed=form.changed_data,
                request=request,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("%(name)s was saved.") % {"name": saved.name})
            return redirect("console:organisations")
    return render(
        request,
        "console/form.html",
        {
            "form": form,
            "title": instance.name if instance else _("New partner organisation"),
            "back": ("console:organisations", _("Organisations")),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def site_list(request):
    require_coordinator(request)
    sites = selectors.sites(request.user).order_by("-active", "kind", "municipality", "name")
    return render(request, "console/site_list.html", {"sites": sites})


def _site_initial(site) -> dict:
    return {
        "organisation": site.organisation_id,
        "kind": site.kind,
        "name": site.name,
        "name_kana": site.name_kana,
        "postal_code": site.postal_code_display,
        "address": site.address,
        "building": site.building,
        "phone": site.phone,
        "opening_hours": site.opening_hours,
        "active": site.active,
    }


@login_required
def site_edit(request, pk: int | None = None):
    require_coordinator(request)
    instance = get_or_404(selectors.sites(request.user), pk=pk) if pk else None
    initial = _site_initial(instance) if instance else {"active": True}
    form = SiteForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            site = network.save_site(
                by=request.user,
                instance=instance,
                fields=dict(form.cleaned_data),
                changed=form.changed_data,
                request=request,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("%(name)s was saved.") % {"name": site.name})
            return redirect("console:site", pk=site.pk)
    par_form = None
    if instance is not None and instance.kind == instance.Kind.WINDOW:
        par_form = ParLevelsForm(site=instance, current=selectors.par_levels(instance))
    return render(
        request,
        "console/site_form.html",
        {"form": form, "site": instance, "par_form": par_form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def site_par_levels(request, pk: int):
    require_coordinator(request)
    site = get_or_404(selectors.sites(request.user), pk=pk)
    form = ParLevelsForm(request.POST, site=site, current=selectors.par_levels(site))
    if not form.is_valid():
        messages.error(request, _("Par levels are whole numbers from 0."))
        return redirect("console:site", pk=site.pk)
    try:
        changed = network.set_par_levels(by=request.user, site=site, levels=form.levels(), request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Par levels saved (%(count)d changed).") % {"count": changed})
    return redirect("console:site", pk=site.pk)


@login_required
@require_GET
def postal_lookup(request):
    """The area of a postal code, for the site form to show as it is typed (JSON)."""
    require_coordinator(request)
    try:
        area = postal.lookup(request.GET.get("code", ""))
    except ValueError:
        area = None
    if area is None:
        return JsonResponse({"code": "unknown_postal_code", "detail": _("Unknown postal code.")}, status=404)
    return JsonResponse(
        {
            "postal_code": area.postal_code,
            "prefecture": area.prefecture,
            "municipality": area.municipality,
            "town": area.town,
            "regional_bureau": area.regional_bureau,
        }
    )
