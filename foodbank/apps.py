from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FoodbankConfig(AppConfig):
    name = "foodbank"
    verbose_name = _("Network")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers system checks)
