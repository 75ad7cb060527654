"""The monthly programme: enrolling and ending an enrolment."""

from rest_framework import serializers

from foodbank.ids import IdField

from ..models import Enrolment


class EnrolmentIn(serializers.Serializer):
    delivery_request = IdField(help_text="The request whose household and needs to enrol.")
    starts_on = serializers.DateField(help_text="Any day of the first month.")


class EndEnrolmentIn(serializers.Serializer):
    last_month = serializers.DateField(help_text="Any day of the last month with a parcel.")


class EnrolmentOut(serializers.ModelSerializer):
    class Meta:
        model = Enrolment
        fields = ["id", "recipient", "agency", "template", "starts_on", "ends_on", "active", "created_at"]
