"""Feedback from recipients."""

from datetime import date

from django.contrib.auth.models import User

from ..models import Feedback


def record_feedback(
    *,
    food_bank_id: int,
    by: User,
    message: str,
    may_be_published: bool,
    received_on: date,
    recipient_id: int | None = None,
) -> Feedback:
    """A recipient's message, private unless they said it may be published."""
    return Feedback.objects.create(
        food_bank_id=food_bank_id,
        recipient_id=recipient_id,
        message=message,
        may_be_published=may_be_published,
        received_on=received_on,
        recorded_by=by,
    )
