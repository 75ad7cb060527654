"""Output shapes of the changes feed and the webhook bodies (one schema for both)."""

from rest_framework import serializers

from referrals.models import DeliveryRequest

from .payloads import EVENT_TYPE_CHOICES


class ChangeDataOut(serializers.Serializer):
    request_id = serializers.IntegerField()
    reference = serializers.CharField(help_text="DR- and six digits.")
    client_reference = serializers.CharField(help_text="The agency's own case number, as filed.")
    agency = serializers.IntegerField(allow_null=True)
    from_status = serializers.ChoiceField(choices=DeliveryRequest.Status.choices, allow_null=True)
    status = serializers.ChoiceField(choices=DeliveryRequest.Status.choices)
    tracking_number = serializers.CharField(help_text="Shipped: the courier's tracking number.")
    tracking_url = serializers.CharField(help_text="Shipped: the courier's tracking page.")
    reason = serializers.CharField(help_text="Declined, cancelled or returned: the reason given.")
    fields = serializers.ListField(
        child=serializers.CharField(),
        help_text="`delivery_request.corrected`: the names of the corrected fields (phone, address, "
        "days_needed, cooking, allergies, allergens, dietary_note, extras, delivery_date, time_slot), "
        "never the values; empty otherwise.",
    )


class ChangeOut(serializers.Serializer):
    """One change of a request; also the body of a webhook delivery (docs/webhooks.md)."""

    id = serializers.CharField(help_text="Event id, the same in the feed and in webhooks: de-duplicate by it")
    type = serializers.ChoiceField(choices=EVENT_TYPE_CHOICES)
    timestamp = serializers.DateTimeField()
    data = ChangeDataOut()


class ChangePageOut(serializers.Serializer):
    results = ChangeOut(many=True)
    next_cursor = serializers.CharField(help_text="Pass as `since` next time.")
    has_more = serializers.BooleanField(help_text="More changes wait: ask again at once.")


class EndpointIn(serializers.Serializer):
    url = serializers.URLField(max_length=500, help_text="HTTPS address of your receiver.")
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_TYPE_CHOICES), min_length=1)
    description = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    agency = serializers.IntegerField(
        required=False, default=None, allow_null=True, help_text="Needed when you manage several agencies."
    )


class EndpointChangeIn(serializers.Serializer):
    url = serializers.URLField(max_length=500, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPE_CHOICES), min_length=1, required=False
    )


class EndpointOut(serializers.Serializer):
    id = serializers.IntegerField()
    agency = serializers.IntegerField(source="agency_id")
    url = serializers.CharField()
    description = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    active = serializers.BooleanField()
    failing_since = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)


class EndpointCreatedOut(EndpointOut):
    secret = serializers.CharField(
        allow_null=True,
        help_text="The signing secret, shown this once (null when an Idempotency-Key replays the answer).",
    )


class SecretOut(serializers.Serializer):
    secret = serializers.CharField(help_text="The new signing secret, shown this once.")


class DeliveryOut(serializers.Serializer):
    id = serializers.IntegerField()
    event_id = serializers.CharField()
    event_type = serializers.CharField()
    request_id = serializers.IntegerField()
    status = serializers.CharField()
    attempts = serializers.IntegerField()
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class ReferralChangeDataOut(serializers.Serializer):
    referral_id = serializers.IntegerField()
    reference = serializers.CharField()
    request_id = serializers.IntegerField()
    request_reference = serializers.CharField()
    client_reference = serializers.CharField()
    agency = serializers.IntegerField()
    status = serializers.ChoiceField(choices=[("acknowledged", "acknowledged"), ("closed", "closed")])


class ReferralChangeOut(serializers.Serializer):
    """A step of a referral made from one of your requests (webhooks only)."""

    id = serializers.CharField()
    type = serializers.ChoiceField(choices=EVENT_TYPE_CHOICES)
    timestamp = serializers.DateTimeField()
    data = ReferralChangeDataOut()
