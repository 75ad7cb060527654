"""DRF authentication with ``foodbank.models.ApiToken`` (``Authorization: Token <key>``)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from . import tokens


class ApiTokenAuthentication(TokenAuthentication):
    """Token authentication against hashed, revocable, optionally expiring tokens.

    Subclasses DRF's class for its header parsing (and so drf-spectacular documents the scheme);
    never touches ``rest_framework.authtoken``.
    """

    keyword = "Token"

    def authenticate_credentials(self, key):
        token = tokens.authenticate_key(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        return token.user, token
