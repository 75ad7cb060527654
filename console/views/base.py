"""What every console page shares: only coordinators (403 for any other role, before any lookup),
objects looked up in the coordinator's scope (404 outside it)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from foodbank.models import Organisation

from .. import selectors


def require_coordinator(request) -> None:
    if not selectors.is_coordinator(request.user):
        raise PermissionDenied


def get_or_404(queryset, **lookup):
    try:
        return queryset.get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404 from None


def home_food_bank(request) -> Organisation:
    """The food bank new organisations, carrier accounts and pack types belong to: the
    coordinator's (the lowest id when a coordinator serves several)."""
    food_bank = selectors.food_banks(request.user).first()
    if food_bank is None:
        raise PermissionDenied
    return food_bank


def add_errors(form, exc: ValidationError) -> None:
    """A service's ValidationError shown on the form's fields (or above it)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
