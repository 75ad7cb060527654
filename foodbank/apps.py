from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FoodbankConfig(AppConfig):
    name = "foodbank"
    verbose_name = _("Network")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported once the apps are loaded: checks registers system checks, and navigation finds
        # every app's start-page links.
        from . import checks, navigation  # noqa: F401

        navigation.autodiscover()
