"""The coordinator's export of recipients' feedback: only messages the person said may be
published ever leave the coordinator's own records (exports, reports, other pages)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from foodbank import exports
from foodbank.models import Role
from foodbank.selectors import food_bank_ids

from . import selectors


@login_required
def feedback_export(request):
    """CSV of the food bank's publishable feedback (received on, message). Private messages are
    filtered out by the selector, not by the caller."""
    food_banks = food_bank_ids(request.user, Role.COORDINATOR)
    if not food_banks:
        raise PermissionDenied
    rows = selectors.publishable_feedback(food_banks=food_banks).order_by("received_on", "pk")
    header = [["received_on", "message"]]
    return exports.csv_response(
        [*header, *([f.received_on, f.message] for f in rows.iterator())],
        f"feedback-{timezone.localdate().isoformat()}.csv",
    )
