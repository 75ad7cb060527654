"""Authentication backends."""

from axes.backends import AxesStandaloneBackend
from django.contrib.auth.backends import ModelBackend

from .accounts import is_integration


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every login that comes with a request.

    A call to ``authenticate()`` without a request (a management command, ``Client.login`` in
    tests) cannot be attributed to a client, so it is not throttled instead of failing outright;
    every network-facing login (login page, admin, token endpoint) passes its request.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class PasswordBackend(ModelBackend):
    """Django's username and password check, except for integration users (the Navi backend):
    machine clients authenticate with their API token only, so a password set on one by mistake
    (or left from before) opens nothing (docs/trust.md, "Tokens and credentials")."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and is_integration(user):
            return None
        return user
