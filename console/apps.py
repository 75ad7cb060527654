from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = _("Coordinators' console")
    default_auto_field = "django.db.models.BigAutoField"
