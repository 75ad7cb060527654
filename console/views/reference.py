"""Coordinator pages for the food bank's reference data: carrier accounts (B2 Cloud codes, the
neutral sender block, cutoff, pickup days), pack types and their versioned recipes, and the
dispatch rule that sizes a home delivery (inventory.sizing)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from inventory import sizing
from inventory.models import Item, PackType

from .. import network, selectors
from ..forms import CarrierAccountForm, DispatchRuleForm, PackTypeForm, RecipeForm
from .base import add_errors, get_or_404, home_food_bank, require_coordinator


@login_required
@require_GET
def carrier_list(request):
    require_coordinator(request)
    accounts = selectors.carrier_accounts(request.user).order_by("-active", "name")
    return render(request, "console/carrier_list.html", {"accounts": accounts})


@login_required
def carrier_edit(request, pk: int | None = None):
    require_coordinator(request)
    instance = get_or_404(selectors.carrier_accounts(request.user), pk=pk) if pk else None
    form = CarrierAccountForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        food_bank = instance.food_bank if instance else home_food_bank(request)
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            account = network.save_carrier(
                by=request.user,
                food_bank=food_bank,
                instance=instance,
                fields=fields,
                changed=form.changed_data,
                request=request,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("%(name)s was saved.") % {"name": account.name})
            return redirect("console:carriers")
    return render(
        request,
        "console/form.html",
        {
            "form": form,
            "title": instance.name if instance else _("New carrier account"),
            "back": ("console:carriers", _("Carrier accounts")),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def pack_type_list(request):
    require_coordinator(request)
    return render(request, "console/pack_type_list.html", {"pack_types": selectors.pack_types(request.user)})


def _recipe_form(pack_type: PackType, data=None, recipes=None) -> RecipeForm:
    current = recipes[0] if recipes else None
    quantities = {line.item_id: line.quantity for line in current.lines.all()} if current else {}
    items = Item.objects.filter(food_bank_id=pack_type.food_bank_id, active=True).order_by("category", "name")
    return RecipeForm(data, items=items, current=quantities)


@login_required
def pack_type_edit(request, pk: int | None = None):
    require_coordinator(request)
    instance = get_or_404(selectors.pack_types(request.user), pk=pk) if pk else None
    form = PackTypeForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        food_bank = instance.food_bank if instance else home_food_bank(request)
        fields = {k: form.cleaned_data[k] for k in ("name", "days", "sort_order", "active")}
        if instance is None:
            fields["code"] = form.cleaned_data["code"]
            if PackType.objects.filter(food_bank=food_bank, code=fields["code"]).exists():
                form.add_error("code", _("A pack type with this code exists."))
        if not form.errors:
            try:
                pack_type = network.save_pack_type(
                    by=request.user,
                    food_bank=food_bank,
                    instance=instance,
                    fields=fields,
                    changed=form.changed_data,
                    request=request,
                    alternatives=form.cleaned_data.get("alternatives"),
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("%(name)s was saved.") % {"name": pack_type.name})
                return redirect("console:pack-type", pk=pack_type.pk)
    recipes = selectors.recipes(instance) if instance else []
    return render(
        request,
        "console/pack_type_form.html",
        {
            "form": form,
            "pack_type": instance,
            "recipes": recipes,
            "recipe_form": _recipe_form(instance, recipes=recipes) if instance else None,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def pack_type_recipe(request, pk: int):
    require_coordinator(request)
    pack_type = get_or_404(selectors.pack_types(request.user), pk=pk)
    recipes = selectors.recipes(pack_type)
    form = _recipe_form(pack_type, request.POST, recipes)
    if form.is_valid():
        try:
            recipe = network.new_recipe_version(
                by=request.user,
                pack_type=pack_type,
                lines=form.lines(),
                note=form.cleaned_data["note"],
                request=request,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request, _("Recipe version %(version)d is current.") % {"version": recipe.version}
            )
            return redirect("console:pack-type", pk=pack_type.pk)
    return render(
        request,
        "console/pack_type_form.html",
        {
            "form": PackTypeForm(instance=pack_type),
            "pack_type": pack_type,
            "recipes": recipes,
            "recipe_form": form,
        },
        status=400,
    )


# Households the rule page works out, so a coordinator sees what a change means before triage.
RULE_EXAMPLES = ((1, 7), (2, 5), (5, 14))


@login_required
def dispatch_rule(request):
    """The food bank's dispatch rule: how many person-days one pack of each type feeds and how many
    fit one box; every home delivery triaged and booked from now on is sized by it."""
    require_coordinator(request)
    food_bank = home_food_bank(request)
    pack_types = list(PackType.objects.filter(food_bank=food_bank, active=True))
    # Alternatives too: the coordinator sizes them here, though ordinary parcels never get them.
    rule = sizing.rule_for(food_bank_id=food_bank.pk, pack_types=pack_types, with_alternatives=True)
    current = {s.pack_type.pk: s for s in rule}
    form = DispatchRuleForm(request.POST or None, pack_types=pack_types, current=current)
    if request.method == "POST" and form.is_valid():
        changed = network.set_dispatch_rule(
            by=request.user, food_bank=food_bank, values=form.values(), request=request
        )
        messages.success(request, _("Dispatch rule saved (%(count)d changed).") % {"count": changed})
        return redirect("console:dispatch-rule")
    examples = [
        (people, days, sizing.size_for(people=people, days=days, rule=rule)) for people, days in RULE_EXAMPLES
    ]
    return render(
        request,
        "console/dispatch_rule.html",
        {
            "food_bank": food_bank,
            "rule": rule,
            "form": form,
            "examples": examples,
            "default_per_box": settings.PACKS_PER_BOX,
        },
        status=400 if request.method == "POST" else 200,
    )
