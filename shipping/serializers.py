"""API shapes of the shipping app."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from foodbank.ids import IdField
from foodbank.validators import refuse_bidi_controls

from .boxes import packing_notes, split_into_boxes
from .models import BatchDocument, DispatchBatch, PantryShipment, Parcel


class BatchIn(serializers.Serializer):
    ship_date = serializers.DateField()
    carrier_account = IdField(
        required=False, allow_null=True, default=None, help_text=_("Default: the food bank's first account.")
    )


class BatchSummaryOut(serializers.ModelSerializer):
    progress = serializers.IntegerField(read_only=True)
    reference = serializers.CharField(read_only=True)
    carrier = serializers.CharField(source="account.carrier", read_only=True)

    class Meta:
        model = DispatchBatch
        fields = [
            "id",
            "reference",
            "ship_date",
            "status",
            "progress",
            "carrier_account",
            "carrier",
            "parcel_count",
            "created_at",
            "finished_at",
        ]

    carrier_account = serializers.IntegerField(source="account_id", read_only=True)


class ParcelRowOut(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Parcel.Status.choices)
    source = serializers.ChoiceField(choices=Parcel.Source.choices)
    stock_reserved = serializers.BooleanField()


class ParcelCountsOut(serializers.Serializer):
    total = serializers.IntegerField()
    packed = serializers.IntegerField()
    left = serializers.IntegerField()
    list = ParcelRowOut(many=True)


class ProblemOut(serializers.Serializer):
    field = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()
    severity = serializers.CharField()


class HeldBackOut(serializers.Serializer):
    reference = serializers.CharField()
    problems = ProblemOut(many=True)


class DocumentsOut(serializers.Serializer):
    pick_list = serializers.URLField(allow_null=True)
    packing_slips = serializers.URLField(allow_null=True)
    labels = serializers.URLField(allow_null=True)
    carrier_csv = serializers.URLField(allow_null=True)
    manifest = serializers.URLField(allow_null=True)


class BatchOut(BatchSummaryOut):
    parcels = ParcelCountsOut(source="parcel_summary", read_only=True)
    held_back = HeldBackOut(many=True, read_only=True)
    documents = serializers.SerializerMethodField()

    class Meta(BatchSummaryOut.Meta):
        fields = [*BatchSummaryOut.Meta.fields, "parcels", "held_back", "documents"]

    @extend_schema_field(DocumentsOut)
    def get_documents(self, batch) -> dict:
        request = self.context.get("request")
        have = set(getattr(batch, "document_kinds", ()))
        out = {}
        for kind in BatchDocument.Kind.values:
            if kind in have:
                url = reverse("api-batch-document", kwargs={"pk": batch.pk, "kind": kind})
                out[kind] = request.build_absolute_uri(url) if request else url
            else:
                out[kind] = None
        return out


class LineOut(serializers.Serializer):
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    pack_type = serializers.CharField(required=False, default="")
    code = serializers.CharField(required=False, default="")
    item = serializers.CharField(
        required=False, default="", help_text="An extra's item code (diapers, formula, gas_canister …)."
    )
    size = serializers.CharField(required=False, default="", help_text="An extra's size (diapers: S, M …).")
    per_box = serializers.IntegerField(
        required=False,
        default=0,
        help_text="A pack's maximum per box under the food bank's rule when it was booked (0: not recorded).",
    )


class BoxOut(serializers.Serializer):
    """What goes into one box of a parcel (shipping.boxes): its slip lists the same."""

    box = serializers.IntegerField(help_text="From 1.")
    of = serializers.IntegerField(help_text="The parcel's boxes.")
    contents = LineOut(many=True)
    extras = LineOut(many=True, help_text="A parcel's extras go in its last box.")


def _line_out(line) -> dict:
    return {
        "name": line.name,
        "quantity": line.quantity,
        "pack_type": line.pack_type,
        "code": line.code,
        "item": line.item,
        "size": line.size,
        "per_box": line.per_box,
    }


class ParcelOut(serializers.ModelSerializer):
    """What the packing station shows: packing data and the label's name and address; never the
    situation note, debts, consent or phone number."""

    batch = serializers.IntegerField(source="batch_id", allow_null=True, read_only=True)
    contents = serializers.SerializerMethodField()
    extras = serializers.SerializerMethodField()
    allergies = serializers.SerializerMethodField()
    no_cook = serializers.SerializerMethodField()
    notes = serializers.SerializerMethodField()
    box_numbers = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Each box's tracking number, box 1 first, for a parcel of several boxes; [] for one box.",
    )
    box_contents = serializers.SerializerMethodField(
        help_text="What goes into each box, box 1 first (one entry for a one-box parcel), as its slip says.",
    )

    class Meta:
        model = Parcel
        fields = [
            "id",
            "reference",
            "batch",
            "status",
            "source",
            "recipient_name",
            "recipient_company",
            "postal_code",
            "address",
            "building",
            "time_slot",
            "ship_date",
            "delivery_date",
            "contents",
            "extras",
            "allergies",
            "no_cook",
            "notes",
            "stock_reserved",
            "tracking_number",
            "boxes",
            "box_numbers",
            "box_contents",
            "packed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(LineOut(many=True))
    def get_contents(self, parcel) -> list:
        return list((parcel.packing or {}).get("contents", []))

    @extend_schema_field(LineOut(many=True))
    def get_extras(self, parcel) -> list:
        return list((parcel.packing or {}).get("extras", []))

    @extend_schema_field(BoxOut(many=True))
    def get_box_contents(self, parcel) -> list:
        return [
            {
                "box": box.number,
                "of": box.of,
                "contents": [_line_out(line) for line in box.contents],
                "extras": [_line_out(line) for line in box.extras],
            }
            for box in split_into_boxes(packing_notes(parcel), parcel.boxes)
        ]

    def get_allergies(self, parcel) -> str:
        return (parcel.packing or {}).get("allergies", "")

    def get_no_cook(self, parcel) -> bool:
        return bool((parcel.packing or {}).get("no_cook"))

    def get_notes(self, parcel) -> list[str]:
        return list((parcel.packing or {}).get("notes", []))


class TrackingImportIn(serializers.Serializer):
    file = serializers.FileField()


class MatchedOut(serializers.Serializer):
    reference = serializers.CharField()
    tracking_number = serializers.CharField()


class RejectedOut(serializers.Serializer):
    row = serializers.IntegerField()
    reason = serializers.CharField()
    message = serializers.CharField()
    reference = serializers.CharField()
    number = serializers.CharField()


class TrackingImportOut(serializers.Serializer):
    matched = MatchedOut(many=True)
    rejected = RejectedOut(
        many=True, help_text="The first TRACKING_IMPORT_REJECTS_SHOWN (100) rejected rows."
    )
    rejected_count = serializers.IntegerField(help_text="Every rejected row.")
    rejected_by_reason = serializers.DictField(
        child=serializers.IntegerField(), help_text="Rejected rows per reason code."
    )


class DeliveryStatusIn(serializers.Serializer):
    file = serializers.FileField(
        help_text="CSV with a header row: 伝票番号 and/or お客様管理番号, and 荷物状況 (docs/shipping-b2.md)."
    )


class DeliveryStatusOut(serializers.Serializer):
    delivered = serializers.ListField(child=serializers.CharField(), help_text="References marked delivered.")
    returned = serializers.ListField(child=serializers.CharField(), help_text="References marked returned.")
    unchanged = serializers.ListField(
        child=serializers.CharField(), help_text="References already in the outcome the file gives."
    )
    in_transit = serializers.IntegerField(help_text="Rows whose status is not final (nothing changed).")
    rejected = RejectedOut(
        many=True, help_text="The first TRACKING_IMPORT_REJECTS_SHOWN (100) rejected rows."
    )
    rejected_count = serializers.IntegerField(help_text="Every rejected row.")
    rejected_by_reason = serializers.DictField(
        child=serializers.IntegerField(), help_text="Rejected rows per reason code."
    )


class PackedIn(serializers.Serializer):
    condition_checked = serializers.BooleanField(
        default=True,
        help_text=_(
            "The packer checked the packages intact and in date (default true). False is recorded on "
            "the packing event as not checked; packing is not refused."
        ),
    )


class VoidIn(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=Parcel.VoidReason.choices,
        help_text=_(
            "`rebook`: what the parcel was for goes back to approved and the next batch books a new "
            "parcel; `cancel`: the delivery request, restock or pantry shipment is cancelled."
        ),
    )
    note = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text=_("No personal data.")
    )


class VoidOut(ParcelOut):
    carrier_instructions = serializers.SerializerMethodField(
        help_text=_("What staff must still do at the carrier by hand; empty when nothing.")
    )

    class Meta(ParcelOut.Meta):
        fields = [*ParcelOut.Meta.fields, "carrier_instructions"]
        read_only_fields = fields

    def get_carrier_instructions(self, parcel) -> str:
        return self.context.get("carrier_instructions", "")


class HandedOverOut(serializers.Serializer):
    handed_over = serializers.IntegerField(help_text=_("Parcels handed over by this request."))
    batch = BatchOut()


POSTAL_CODE = r"^\d{3}-?\d{4}$"
PHONE = r"^[0-9０-９()（）\- ー－]{0,15}$"


class PantryShipmentIn(serializers.Serializer):
    partner = IdField(help_text=_("A pantry group (organisation) of your food bank."))
    pack_type = serializers.SlugField(help_text=_("Pack type code: day1, day3, home."))
    quantity = serializers.IntegerField(min_value=1, max_value=1000, help_text=_("Sets in the box."))
    contact_name = serializers.CharField(max_length=64, validators=[refuse_bidi_controls])
    phone = serializers.RegexField(PHONE, max_length=15, required=False, allow_blank=True, default="")
    postal_code = serializers.RegexField(POSTAL_CODE, help_text=_("Seven digits, e.g. 060-0001."))
    address = serializers.CharField(max_length=200, validators=[refuse_bidi_controls])
    building = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", validators=[refuse_bidi_controls]
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate_postal_code(self, value: str) -> str:
        return value.replace("-", "")


class PantryParcelOut(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Parcel.Status.choices)
    batch = serializers.IntegerField(source="batch_id", allow_null=True)


class PantryShipmentOut(serializers.ModelSerializer):
    partner = serializers.IntegerField(source="partner_id", read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    pack_type = serializers.CharField(source="pack_type.code", read_only=True)
    parcels = serializers.SerializerMethodField()

    class Meta:
        model = PantryShipment
        fields = [
            "id",
            "partner",
            "partner_name",
            "pack_type",
            "quantity",
            "contact_name",
            "phone",
            "postal_code",
            "address",
            "building",
            "note",
            "status",
            "created_at",
            "parcels",
        ]
        read_only_fields = fields

    @extend_schema_field(PantryParcelOut(many=True))
    def get_parcels(self, shipment) -> list:
        parcels = sorted(shipment.parcels.all(), key=lambda p: p.pk)
        return PantryParcelOut(parcels, many=True).data
