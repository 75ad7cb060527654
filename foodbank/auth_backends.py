"""Authentication backends."""

from axes.backends import AxesStandaloneBackend


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
