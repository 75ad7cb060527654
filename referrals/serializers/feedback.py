"""Feedback from recipients, in and out."""

from rest_framework import serializers

from foodbank.ids import IdField


class FeedbackIn(serializers.Serializer):
    message = serializers.CharField(max_length=4000)
    may_be_published = serializers.BooleanField(
        help_text="The person said it may be published (exports, reports). Private otherwise: required, "
        "so that nobody publishes by default."
    )
    received_on = serializers.DateField(required=False, help_text="Default: today.")
    recipient = IdField(required=False, allow_null=True, default=None)
    food_bank = IdField(
        required=False, allow_null=True, default=None, help_text="Only for coordinators of several."
    )


class FeedbackOut(serializers.Serializer):
    id = serializers.IntegerField()
    message = serializers.CharField()
    may_be_published = serializers.BooleanField()
    received_on = serializers.DateField()
    recipient = serializers.IntegerField(allow_null=True, source="recipient_id")
    recorded_at = serializers.DateTimeField()
