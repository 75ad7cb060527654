from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import pre_save
from django.utils.translation import gettext_lazy as _


class FoodbankConfig(AppConfig):
    name = "foodbank"
    verbose_name = _("Network")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported once the apps are loaded: checks registers system checks, and navigation finds
        # every app's start-page links.
        from . import checks, navigation  # noqa: F401
        from .accounts import revoke_tokens_on_credential_change  # uses the models: here, once loaded

        navigation.autodiscover()
        # Every path that changes a password or deactivates a user revokes the user's tokens
        # (foodbank.accounts explains why this is a signal).
        pre_save.connect(
            revoke_tokens_on_credential_change,
            sender=settings.AUTH_USER_MODEL,
            dispatch_uid="foodbank.revoke_tokens_on_credential_change",
        )
