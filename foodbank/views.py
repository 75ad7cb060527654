import sys

from django.contrib.auth.decorators import login_required
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


def server_error(request):
    """handler500: an uncaught database-connection error anywhere (a middleware, a template) is a
    503 with Retry-After like in views; anything else is Django's plain 500 page."""
    if is_database_unavailable(sys.exc_info()[1]):
        return database_unavailable(request)
    return defaults.server_error(request)
