"""What the reads of requests, consents and referrals share: the request statuses."""

from ..models import DeliveryRequest

S = DeliveryRequest.Status
# Statuses from which a request may still be cancelled ("until packed").
CANCELLABLE = (S.SUBMITTED, S.APPROVED, S.SCHEDULED)
OPEN_STATUSES = (S.SUBMITTED, S.APPROVED, S.SCHEDULED, S.PACKED, S.SHIPPED)
