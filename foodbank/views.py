import sys

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views import defaults

from . import navigation, selectors
from .middleware import database_unavailable, is_database_unavailable


@login_required
def home(request):
    """The start page: the user's roles, and a link to the page of each job they do."""
    cards = [
        {"membership": m, "links": navigation.links_for(m)} for m in selectors.memberships_for(request.user)
    ]
    return render(request, "foodbank/home.html", {"cards": cards})


def _api_error(request, status: int, code: str, detail: str) -> JsonResponse | None:
    """Errors answered outside DRF's views (no URL matched, a middleware failed) are JSON with a
    stable code on the API as well (docs/trust.md); pages keep Django's pages."""
    if not request.path.startswith("/api/"):
        return None
    return JsonResponse({"code": code, "detail": detail}, status=status)


def server_error(request):
    """handler500: an uncaught database-connection error anywhere (a middleware, a template) is a
    503 with Retry-After like in views; anything else is Django's plain 500 page (JSON on the API)."""
    if is_database_unavailable(sys.exc_info()[1]):
        return database_unavailable(request)
    return _api_error(
        request, 500, "server_error", "An unexpected error occurred; it has been logged."
    ) or defaults.server_error(request)


def not_found(request, exception):
    """handler404."""
    return _api_error(request, 404, "not_found", "Not found.") or defaults.page_not_found(request, exception)


def bad_request(request, exception):
    """handler400."""
    return _api_error(request, 400, "bad_request", "Bad request.") or defaults.bad_request(request, exception)


def permission_denied(request, exception):
    """handler403."""
    return _api_error(request, 403, "permission_denied", "You do not have permission to do this.") or (
        defaults.permission_denied(request, exception)
    )
