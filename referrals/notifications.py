"""Emails to the case worker who filed a delivery request (approved, declined, shipped, returned).

The message names the request by its reference and the agency's own case number, never the
person's situation, name or phone: email leaves our systems.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from foodbank.models import Membership, Role

from . import locks, selectors
from .models import ConsentRecord, DeliveryRequest, Notification, Referral

logger = logging.getLogger(__name__)
S = DeliveryRequest.Status


def send(*, notification_id: int) -> bool:
    """Send one notification unless it was sent (or skipped) already; returns whether it was sent.

    Claims the row (``sent_at`` set under a row lock) before sending, so two workers running the
    same message never both send; a failed send releases the claim and raises for a retry.
    """
    with transaction.atomic():
        notification = locks.lock_unsent_notification(notification_id)
        if notification is None:
            return False
        request = notification.event.request
        address = getattr(request.filed_by, "email", "")
        reason = ""
        if not address:
            reason = "no_email_address"
        elif (
            selectors.valid_consent(
                recipient_id=request.recipient_id, purpose=ConsentRecord.Purpose.SHARE_WITH_FOODBANK
            )
            is None
        ):
            reason = "consent_withdrawn"
        if reason:
            Notification.objects.filter(pk=notification.pk).update(skipped=reason)
            return False
        Notification.objects.filter(pk=notification.pk).update(sent_at=timezone.now())
    subject, body = render(notification)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
    except Exception:
        Notification.objects.filter(pk=notification.pk).update(sent_at=None)
        logger.warning("Notification %s not sent; will retry", notification.pk)
        raise
    return True


def render(notification: Notification) -> tuple[str, str]:
    """Subject and body, in the site's language (Japanese by default)."""
    event = notification.event
    request = event.request
    with translation.override(settings.LANGUAGE_CODE):
        status = S(event.to_status).label
        subject = _("[Food bank] Delivery request %(reference)s: %(status)s") % {
            "reference": request.reference,
            "status": status,
        }
        lines = [
            _("Your delivery request %(reference)s is now: %(status)s.")
            % {"reference": request.reference, "status": status},
        ]
        if request.client_reference:
            lines.append(_("Your reference: %(ref)s") % {"ref": request.client_reference})
        lines.append(
            _("Filed on: %(date)s") % {"date": timezone.localtime(request.submitted_at).strftime("%Y-%m-%d")}
        )
        if event.to_status == S.DECLINED:
            lines.append(_("Reason: %(reason)s") % {"reason": request.decline_reason})
        elif event.to_status == S.SHIPPED:
            lines.append(_("Tracking number: %(number)s") % {"number": request.tracking_number})
            if request.tracking_url:
                lines.append(_("Track the parcel: %(url)s") % {"url": request.tracking_url})
        elif event.to_status == S.RETURNED:
            lines.append(_("The parcel came back to the food bank. Please contact the coordinator."))
            if event.note:
                lines.append(_("Note: %(note)s") % {"note": event.note})
        lines.append("")
        lines.append(_("See the request's status and history in the food bank system."))
    return subject, "\n".join(lines)


def send_referral_escalation(*, referral_id: int) -> bool:
    """Email the food bank's coordinators that a referral was not acknowledged in time; returns
    whether it was sent. Claimed like a notification (``escalation_emailed_at``), so a resent
    task emails nobody twice. Names the referral and its target, never the person."""
    now = timezone.now()
    claimed = Referral.objects.filter(
        pk=referral_id, escalated_at__isnull=False, escalation_emailed_at__isnull=True
    ).update(escalation_emailed_at=now)
    if not claimed:
        return False
    referral = Referral.objects.select_related("target_site", "target_organisation").get(pk=referral_id)
    addresses = sorted(
        {
            email
            for email in Membership.objects.filter(
                role=Role.COORDINATOR, food_bank_id=referral.food_bank_id, active=True, user__is_active=True
            ).values_list("user__email", flat=True)
            if email
        }
    )
    if not addresses:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Referral %(reference)s has not been acknowledged") % {"reference": referral.reference}
        body = _(
            "Referral %(reference)s to %(target)s, sent on %(sent)s, has not been acknowledged. "
            "Please follow it up."
        ) % {
            "reference": referral.reference,
            "target": referral.target,
            "sent": timezone.localtime(referral.sent_at).date().isoformat(),
        }
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, addresses)
    except Exception:
        Referral.objects.filter(pk=referral_id).update(escalation_emailed_at=None)
        logger.warning("Escalation email for referral %s not sent; will retry", referral_id)
        raise
    return True
