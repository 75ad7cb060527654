"""Input and output shapes of donors and intake inspection (docs/traceability.md)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import allergens
from .lot_models import DateLabel, Donor, Lot, StorageClass
from .models import DonationReceipt, DonationReceiptLine
from .serializers import MAX_QUANTITY, IdField


class DonorSerializer(serializers.ModelSerializer):
    """A donor as coordinators see it (with contact and agreement)."""

    anonymous = serializers.BooleanField(read_only=True)
    agreement_complete = serializers.BooleanField(read_only=True)

    class Meta:
        model = Donor
        fields = [
            "id",
            "kind",
            "name",
            "anonymous",
            "contact_name",
            "phone",
            "email",
            "address",
            "agreement_on",
            "resale_forbidden_accepted",
            "handling_terms_accepted",
            "agreement_complete",
            "receipt_frequency",
            "active",
        ]


class DonorBriefSerializer(serializers.ModelSerializer):
    """A donor as the warehouse sees it at intake: who, not how to reach them."""

    agreement_complete = serializers.BooleanField(read_only=True)
    # The list documents coordinators' Donor; the warehouse's answer carries the same required
    # fields and leaves out contact and agreement details.
    anonymous = serializers.BooleanField(read_only=True)

    class Meta:
        model = Donor
        fields = ["id", "kind", "name", "anonymous", "agreement_complete"]


class DonorIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Donor.Kind.choices)
    name = serializers.CharField(
        max_length=200,
        allow_blank=True,
        default="",
        help_text="Required unless kind is individual (only an individual may stay anonymous).",
    )
    contact_name = serializers.CharField(max_length=200, allow_blank=True, default="")
    phone = serializers.CharField(max_length=40, allow_blank=True, default="")
    email = serializers.EmailField(allow_blank=True, default="")
    address = serializers.CharField(max_length=300, allow_blank=True, default="")
    agreement_on = serializers.DateField(required=False, allow_null=True, default=None)
    resale_forbidden_accepted = serializers.BooleanField(default=False)
    handling_terms_accepted = serializers.BooleanField(default=False)
    receipt_frequency = serializers.ChoiceField(
        choices=["per_donation", "monthly", "none"], default="per_donation"
    )
    active = serializers.BooleanField(default=True)


class InspectedLineIn(serializers.Serializer):
    item = serializers.SlugField(help_text="Item code.")
    product_name = serializers.CharField(max_length=200, allow_blank=True, default="")
    jan_code = serializers.RegexField(
        r"^(\d{8}|\d{13})$", allow_blank=True, default="", help_text="JAN (8 or 13 digits)."
    )
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    weight_kg = serializers.DecimalField(
        max_digits=10,
        decimal_places=3,
        min_value=0,
        required=False,
        allow_null=True,
        default=None,
        help_text="Weight of the line; the item's unit weight × quantity when left out.",
    )
    date_label = serializers.ChoiceField(choices=DateLabel.choices, default=DateLabel.BEST_BEFORE)
    best_before = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="The date on the label."
    )
    storage = serializers.ChoiceField(choices=StorageClass.choices, default=StorageClass.AMBIENT)
    allergens = serializers.ListField(
        child=serializers.ChoiceField(choices=allergens.CHOICES),
        default=list,
        max_length=len(allergens.CODES),
        help_text="Codes of the 8 mandatory and 20 recommended allergens (docs/traceability.md).",
    )
    condition = serializers.ChoiceField(
        choices=DonationReceiptLine.Condition.choices, default=DonationReceiptLine.Condition.GOOD
    )
    accepted = serializers.BooleanField(default=True)
    reject_reason = serializers.ChoiceField(
        choices=DonationReceiptLine.RejectReason.choices, allow_blank=True, default=""
    )
    reject_note = serializers.CharField(max_length=300, allow_blank=True, default="")


class DonationIn(serializers.Serializer):
    site = IdField(help_text="The warehouse where it was received.")
    donor = IdField()
    received_at = serializers.DateTimeField(required=False)
    reference = serializers.CharField(max_length=100, allow_blank=True, default="")
    note = serializers.CharField(max_length=300, allow_blank=True, default="")
    lines = InspectedLineIn(many=True, allow_empty=False, max_length=200)


class InspectedLineOut(serializers.ModelSerializer):
    item = serializers.CharField(source="item.code")
    lot = serializers.SerializerMethodField()

    class Meta:
        model = DonationReceiptLine
        fields = [
            "id",
            "item",
            "product_name",
            "jan_code",
            "quantity",
            "weight_kg",
            "date_label",
            "best_before",
            "storage",
            "allergens",
            "condition",
            "accepted",
            "reject_reason",
            "reject_note",
            "checked_at",
            "lot",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_lot(self, line) -> str | None:
        lot = getattr(line, "lot", None) if line.accepted else None
        return lot.code if isinstance(lot, Lot) else None


class DonationOut(serializers.ModelSerializer):
    donor = DonorBriefSerializer(allow_null=True)
    lines = InspectedLineOut(many=True)

    class Meta:
        model = DonationReceipt
        fields = [
            "id",
            "site",
            "donor",
            "donor_type",
            "weight_kg",
            "reference",
            "note",
            "received_at",
            "lines",
        ]
