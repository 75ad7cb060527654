"""Page: correcting a filed request (docs/referrals.md), for the filing agency's case workers until
it is approved and the food bank's coordinators until its parcel is packed. The same rules as
``PATCH /api/v1/delivery-requests/{id}/``: the API's serializer checks the form, the same service
writes, and the request's version travels in the form so that a change made meanwhile is not
overwritten."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from foodbank.exceptions import PreconditionFailed
from foodbank.models import Role
from foodbank.selectors import has_role

from . import corrections, selectors, services
from .exceptions import NotCorrectable
from .forms import RequestCorrectionForm
from .models import COOKING_KEYS, DeliveryRequest
from .serializers import DeliveryRequestCorrectionIn, correction_changes
from .validation import display_phone


def may_correct(user, obj: DeliveryRequest) -> frozenset[str]:
    """The statuses in which ``user`` may correct ``obj`` (empty: not at all)."""
    return corrections.correctable_statuses(
        coordinator=selectors.is_coordinator_of(user, obj),
        filing_agency=selectors.is_filing_agency(user, obj),
    )


def _initial(obj: DeliveryRequest) -> dict:
    person = obj.recipient
    return {
        "phone": display_phone(person.phone),
        "postal_code": person.postal_code_display,
        "address": person.address,
        "building": person.building,
        "days_needed": obj.days_needed,
        "cooking": [key for key in COOKING_KEYS if getattr(obj, key)],
        "allergens": list(obj.allergens or []),
        "allergies": obj.allergies,
        "dietary_note": obj.dietary_note,
        "delivery_date": obj.delivery_date,
        "time_slot": obj.time_slot,
        "version": corrections.version_tag(obj),
    }


@login_required
def request_correct(request, pk: int):
    if not has_role(request.user, Role.COORDINATOR, Role.CASE_WORKER):
        raise PermissionDenied
    try:
        obj = selectors.visible_requests(request.user).get(pk=pk)
    except DeliveryRequest.DoesNotExist:
        raise Http404 from None
    allowed = may_correct(request.user, obj)
    if not allowed:
        raise PermissionDenied
    if obj.status not in allowed:
        messages.error(request, str(NotCorrectable.default_message))
        return redirect("referrals:request-detail", pk=obj.pk)
    form = RequestCorrectionForm(request.POST or None, initial=_initial(obj), current=obj)
    status_code = 200
    if request.method == "POST":
        status_code = 400
        if form.is_valid():
            serializer = DeliveryRequestCorrectionIn(data=form.api_body())
            if not serializer.is_valid():
                form.add_api_errors(serializer.errors)
            else:
                try:
                    done = corrections.correct_request(
                        request_id=obj.pk,
                        by=request.user,
                        changes=correction_changes(serializer.validated_data),
                        allowed=allowed,
                        if_match=form.cleaned_data["version"],
                        request=request,
                    )
                except PreconditionFailed as exc:
                    # The form shows the request as it is now, under its current version: sending
                    # back what was typed over the older one would undo the change made meanwhile.
                    obj = selectors.visible_requests(request.user).get(pk=pk)
                    form = RequestCorrectionForm(initial=_initial(obj), current=obj)
                    messages.error(request, str(exc.message))
                    status_code = 412
                except NotCorrectable as exc:
                    messages.error(request, str(exc.message))
                    return redirect("referrals:request-detail", pk=obj.pk)
                else:
                    _tell(request, obj, done)
                    return redirect("referrals:request-detail", pk=obj.pk)
    if request.method == "GET" or status_code == 412:
        # Showing the form shows the person's data; a refused save shows back what was typed
        # over what this user was shown already (and a refusal writes nothing: docs/trust.md),
        # except after a change made meanwhile (412), which shows the person as they are now.
        services.record_request_view(request=request, delivery_request=obj)
    return render(request, "referrals/request_correct.html", {"r": obj, "form": form}, status=status_code)


def _tell(request, obj: DeliveryRequest, done: corrections.Correction) -> None:
    if not done.fields:
        messages.info(request, _("Nothing was changed."))
        return
    messages.success(
        request,
        _("Request %(reference)s was corrected: %(fields)s.")
        % {"reference": obj.reference, "fields": corrections.field_labels(done.fields)},
    )
    for row in done.relabelled:
        messages.warning(
            request,
            _("Parcel %(reference)s was re-labelled and its batch's documents are written again.")
            % {"reference": row.reference}
            + (f" {row.carrier_instructions}" if row.carrier_instructions else ""),
        )
