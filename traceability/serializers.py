"""Shapes of the recall trace and recalls (docs/traceability.md)."""

from rest_framework import serializers

from foodbank.ids import IdField
from inventory.lot_models import Incident, Recall


class LotOut(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(help_text="L-000123, as written on the case.")
    kind = serializers.CharField(help_text="donation, pack or unknown.")
    product = serializers.CharField()
    best_before = serializers.DateField(allow_null=True)
    date_label = serializers.CharField()
    storage = serializers.CharField()
    allergens = serializers.ListField(child=serializers.CharField())
    allergen_labels = serializers.CharField()
    donor = serializers.CharField()
    quarantined_at = serializers.DateTimeField(allow_null=True)


class StockOut(serializers.Serializer):
    site = serializers.IntegerField(source="site_id")
    site_name = serializers.CharField()
    site_kind = serializers.CharField()
    lot = serializers.IntegerField(source="lot_id")
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    quarantined = serializers.IntegerField()


class AssembledOut(serializers.Serializer):
    assembly = serializers.IntegerField(source="assembly_id")
    pack_lot = serializers.IntegerField(source="pack_lot_id")
    pack_type = serializers.CharField()
    component_lot = serializers.IntegerField(source="component_lot_id")
    quantity = serializers.IntegerField(help_text="Units of the component lot used.")
    packs = serializers.IntegerField(help_text="Packs the assembly made.")
    occurred_at = serializers.DateTimeField()


class ShippedOut(serializers.Serializer):
    restock = serializers.IntegerField(source="restock_id")
    to_site = serializers.IntegerField(source="to_site_id")
    to_site_name = serializers.CharField()
    lot = serializers.IntegerField(source="lot_id")
    quantity = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()


class HandoutsOut(serializers.Serializer):
    site = serializers.IntegerField(source="site_id")
    site_name = serializers.CharField()
    day = serializers.DateField()
    handouts = serializers.IntegerField(help_text="Handouts logged (anonymous: counts only).")
    sets = serializers.IntegerField()
    unchecked = serializers.IntegerField(
        help_text="Of these handouts, how many were recorded with the sets' condition not checked."
    )


class TracedParcelOut(serializers.Serializer):
    reference = serializers.CharField()
    quantity = serializers.IntegerField(help_text="Units of the lots packed into it.")
    packed_at = serializers.DateTimeField()
    status = serializers.CharField()
    ship_date = serializers.DateField(allow_null=True)
    delivery_date = serializers.DateField(allow_null=True)
    source = serializers.CharField()
    delivery_request = serializers.IntegerField(source="request_id", allow_null=True)
    household_type = serializers.CharField()
    municipality = serializers.CharField()
    agency_name = serializers.CharField(help_text="The agency to contact about this household.")
    agency_phone = serializers.CharField()
    agency_email = serializers.CharField()
    condition_checked = serializers.BooleanField(
        allow_null=True,
        help_text=(
            "The packer checked the packages intact and in date; null: packed before this was recorded."
        ),
    )


class TraceOut(serializers.Serializer):
    lots = LotOut(many=True)
    stock = StockOut(many=True)
    assembled = AssembledOut(many=True)
    shipped = ShippedOut(many=True)
    window_handouts = HandoutsOut(many=True)
    parcels = TracedParcelOut(many=True)
    totals = serializers.DictField(child=serializers.IntegerField())


class TraceQuery(serializers.Serializer):
    lot = IdField(required=False, help_text="A lot id (or give item and dates).")
    item = serializers.SlugField(
        required=False, help_text="Item code: trace its lots with a date in the range."
    )
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)

    def validate(self, attrs):
        if ("lot" in attrs) == ("item" in attrs):
            raise serializers.ValidationError({"lot": ["Give a lot, or an item with a range of dates."]})
        return attrs


class RecallIn(TraceQuery):
    reason = serializers.CharField(max_length=300)
    incident = IdField(required=False)


class RecallOut(serializers.ModelSerializer):
    lot = serializers.IntegerField(source="lot_id", allow_null=True)
    item = serializers.CharField(source="item.code", allow_null=True, default=None)
    incident = serializers.IntegerField(source="incident_id", allow_null=True)
    trace = TraceOut(required=False)

    class Meta:
        model = Recall
        fields = ["id", "lot", "item", "date_from", "date_to", "reason", "incident", "started_at", "trace"]


class IncidentIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Incident.Kind.choices)
    occurred_on = serializers.DateField()
    description = serializers.CharField(max_length=2000)
    lots = serializers.ListField(child=IdField(), max_length=50, default=list)


class IncidentOut(serializers.ModelSerializer):
    lots = serializers.SerializerMethodField()
    recalls = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = ["id", "kind", "occurred_on", "description", "lots", "recalls", "reported_at"]

    def get_lots(self, incident) -> list[str]:
        return [lot.code for lot in incident.lots.all()]

    def get_recalls(self, incident) -> list[int]:
        return [recall.pk for recall in incident.recalls.all()]
