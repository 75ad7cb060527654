from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShippingConfig(AppConfig):
    name = "shipping"
    verbose_name = _("Shipping")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Changes to a request after scheduling reach its parcel (docs/journeys.md): referrals,
        # the layer below, asks through this port instead of importing shipping.
        from referrals import handover

        from . import relabelling, withdrawals  # they use the models: here, once loaded

        class Dispatch:
            withdraw_requests = staticmethod(withdrawals.withdraw_requests)
            hold_requests = staticmethod(relabelling.hold_requests)
            relabel_requests = staticmethod(relabelling.relabel_requests)

        handover.register_dispatch(Dispatch())
