"""Row locks of the webhooks: one row each (by primary key), never two of one table in a
transaction. Order across tables: fan-out cursor → endpoint → delivery."""

from .models import FanOutCursor, WebhookDelivery, WebhookEndpoint


def lock_live_endpoint(pk: int) -> WebhookEndpoint:
    """Lock one endpoint that is not revoked (raises WebhookEndpoint.DoesNotExist)."""
    return WebhookEndpoint.objects.select_for_update().get(pk=pk, revoked_at__isnull=True)


def lock_delivery(pk: int) -> WebhookDelivery:
    return WebhookDelivery.objects.select_for_update().get(pk=pk)


def lock_fan_out_cursor(stream: int) -> FanOutCursor:
    """Lock one stream's cursor: fan-outs of a stream run one at a time."""
    return FanOutCursor.objects.select_for_update().get(pk=stream)
