"""Input and output shapes of the reports API (the output ones document the schema)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .tables import TABLE_NAMES


class ReportQuery(serializers.Serializer):
    fiscal_year = serializers.IntegerField(
        required=False,
        min_value=2000,
        max_value=2100,
        help_text=_("April to March; default: the current one."),
    )
    food_bank = serializers.IntegerField(
        required=False, min_value=1, help_text=_("Needed only by coordinators of several food banks.")
    )


class ExportQuery(ReportQuery):
    table = serializers.ChoiceField(choices=TABLE_NAMES, default="monthly")
    scope = serializers.ChoiceField(
        choices=["food_bank", "platform"],
        default="food_bank",
        help_text=_('platform: every food bank\'s totals, counts under 3 shown as "<3".'),
    )


class FiguresSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    agency_parcels = serializers.IntegerField()
    navi_parcels = serializers.IntegerField()
    window_sets_shipped = serializers.IntegerField()
    window_handouts = serializers.IntegerField(help_text=_("Sets handed out."))
    window_visits = serializers.IntegerField(help_text=_("Handouts logged."))
    pantry_backup = serializers.IntegerField()


class MonthSerializer(FiguresSerializer):
    previous = FiguresSerializer(help_text=_("The same month of the previous fiscal year."))


class TotalsFiguresSerializer(FiguresSerializer):
    month = None


class TotalsSerializer(TotalsFiguresSerializer):
    previous = TotalsFiguresSerializer()


class MonthlyReportSerializer(serializers.Serializer):
    fiscal_year = serializers.IntegerField()
    food_bank = serializers.IntegerField()
    months = MonthSerializer(many=True)
    totals = TotalsSerializer()


class CodedCountsSerializer(serializers.Serializer):
    code = serializers.CharField(allow_blank=True)
    label = serializers.CharField(allow_blank=True)
    window_visits = serializers.IntegerField()
    window_handouts = serializers.IntegerField()
    parcels = serializers.IntegerField()


class SituationSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    parcels = serializers.IntegerField()


class MunicipalitySerializer(serializers.Serializer):
    regional_bureau = serializers.CharField(allow_blank=True)
    municipality = serializers.CharField(allow_blank=True)
    window_visits = serializers.IntegerField()
    window_handouts = serializers.IntegerField()
    parcels = serializers.IntegerField()


class NaviSerializer(serializers.Serializer):
    applicants = serializers.IntegerField()
    first_time = serializers.IntegerField()
    first_time_answered = serializers.IntegerField()
    first_time_share = serializers.FloatField(allow_null=True)
    nobody_to_consult = serializers.IntegerField()
    consult_answered = serializers.IntegerField()
    nobody_to_consult_share = serializers.FloatField(allow_null=True)
    wants_referral = serializers.IntegerField()
    wants_referral_share = serializers.FloatField(allow_null=True)


class KilogramsSerializer(serializers.Serializer):
    month = serializers.CharField()
    received_kg = serializers.DecimalField(max_digits=14, decimal_places=2)
    sent_kg = serializers.DecimalField(max_digits=14, decimal_places=2)


class TonnageMonthSerializer(serializers.Serializer):
    month = serializers.CharField()
    by_kind = serializers.DictField(
        child=serializers.DecimalField(max_digits=14, decimal_places=2), help_text="kg received by donor kind"
    )
    total_kg = serializers.DecimalField(max_digits=14, decimal_places=2)


class TonnageSerializer(serializers.Serializer):
    months = TonnageMonthSerializer(many=True)
    by_kind = serializers.DictField(child=serializers.DecimalField(max_digits=14, decimal_places=2))
    total_kg = serializers.DecimalField(max_digits=14, decimal_places=2)
    threshold_kg = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text="The certification applies first above this (100 t a year).",
    )
    over_threshold = serializers.BooleanField()


class BreakdownsSerializer(serializers.Serializer):
    fiscal_year = serializers.IntegerField()
    food_bank = serializers.IntegerField()
    household_types = CodedCountsSerializer(many=True)
    situations = SituationSerializer(many=True)
    regional_bureaus = CodedCountsSerializer(many=True)
    municipalities = MunicipalitySerializer(many=True)
    navi = NaviSerializer()
    kilograms = KilogramsSerializer(many=True)
    tonnage = TonnageSerializer(help_text="Kilograms received by donor kind (docs/traceability.md).")
