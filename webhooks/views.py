"""Pages of the webhooks: an agency's endpoints, their delivery log, resend, rotate and revoke.

Case workers manage their agency's endpoints, coordinators their food bank's (the same selectors
and services as the API, docs/webhooks.md). A secret is shown on the page that created or rotated
it, once.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from foodbank.exceptions import DomainError

from . import selectors, services
from .forms import EndpointForm
from .models import WebhookDelivery, WebhookEndpoint


def _require(user) -> None:
    if not selectors.may_use_webhooks(user):
        raise PermissionDenied


def _endpoint(user, pk: int) -> WebhookEndpoint:
    _require(user)
    try:
        return selectors.visible_endpoints(user).get(pk=pk, revoked_at__isnull=True)
    except WebhookEndpoint.DoesNotExist:
        raise Http404 from None


@login_required
def endpoint_list(request):
    _require(request.user)
    agencies = selectors.manageable_agencies(request.user)
    form = EndpointForm(request.POST or None, agencies=agencies)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.register_endpoint(
                agency=form.cleaned_data["agency"],
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                description=form.cleaned_data["description"],
                by=request.user,
            )
        except DomainError as exc:
            form.add_error("url", str(exc.message))
        else:
            return _show_secret(request, made.endpoint, made.secret)
    endpoints = selectors.visible_endpoints(request.user).filter(revoked_at__isnull=True)
    return render(
        request,
        "webhooks/endpoints.html",
        {"form": form, "endpoints": endpoints},
        status=400 if request.method == "POST" else 200,
    )


def _show_secret(request, endpoint, secret):
    return render(request, "webhooks/secret.html", {"endpoint": endpoint, "secret": secret})


@login_required
def endpoint_detail(request, pk: int):
    endpoint = _endpoint(request.user, pk)
    deliveries = list(selectors.deliveries_of(endpoint)[:100])
    return render(request, "webhooks/endpoint.html", {"endpoint": endpoint, "deliveries": deliveries})


@login_required
@require_POST
def resend(request, pk: int, delivery_pk: int):
    endpoint = _endpoint(request.user, pk)
    try:
        delivery = selectors.deliveries_of(endpoint).get(pk=delivery_pk)
    except WebhookDelivery.DoesNotExist:
        raise Http404 from None
    services.resend_delivery(delivery_id=delivery.pk)
    messages.success(request, _("Delivery %(event)s will be sent again.") % {"event": delivery.event_id})
    return redirect("webhooks:endpoint", pk=endpoint.pk)


@login_required
@require_POST
def rotate(request, pk: int):
    endpoint = _endpoint(request.user, pk)
    return _show_secret(request, endpoint, services.rotate_secret(endpoint_id=endpoint.pk))


@login_required
@require_POST
def revoke(request, pk: int):
    endpoint = _endpoint(request.user, pk)
    services.revoke_endpoint(endpoint_id=endpoint.pk)
    messages.success(request, _("The endpoint was revoked: nothing more is sent to it."))
    return redirect("webhooks:endpoints")
