"""DRF throttles keyed by the same client address as the audit log and the login lockout
(``foodbank.security.client_ip``): REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the N-th
address from the right of X-Forwarded-For. DRF's own ``get_ident`` trusts the whole header when
``NUM_PROXIES`` is None, so a client rotating a forged header would get a new bucket each time."""

from rest_framework.throttling import ScopedRateThrottle

from .security import client_ip


class ClientScopedRateThrottle(ScopedRateThrottle):
    def get_ident(self, request) -> str:
        return client_ip(request) or ""
