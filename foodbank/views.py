from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import navigation, selectors


@login_required
def home(request):
    """The start page: the user's roles, and a link to the page of each job they do."""
    cards = [
        {"membership": m, "links": navigation.links_for(m)} for m in selectors.memberships_for(request.user)
    ]
    return render(request, "foodbank/home.html", {"cards": cards})
