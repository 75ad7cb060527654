from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Delivery requests and referrals")
    default_auto_field = "django.db.models.BigAutoField"
