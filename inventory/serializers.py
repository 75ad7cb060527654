"""Input and output shapes of the inventory API (docs/spec.md §4.1). Inputs validate only; services write."""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import late_entry
from .models import (
    DonationReceipt,
    HandoutHouseholdType,
    Item,
    MovementKind,
    PackType,
    ReasonCode,
    RestockShipment,
    StockTake,
)

MAX_SETS_PER_LINE = 50
# Ids are PostgreSQL bigints: a larger number is refused as input rather than overflowing a lookup.
MAX_ID = 2**63 - 1
# The most units one line of a receipt, count or adjustment may name.
MAX_QUANTITY = 1_000_000


def IdField(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


# --- Reference data -------------------------------------------------------------------------------


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "code", "name", "category", "unit", "weight_kg", "active"]


class ItemIn(serializers.Serializer):
    food_bank = IdField(required=False, help_text="Needed only if you coordinate several.")
    code = serializers.SlugField(max_length=64)
    name = serializers.CharField(max_length=200)
    category = serializers.ChoiceField(choices=Item.Category.choices, default=Item.Category.FOOD)
    unit = serializers.CharField(max_length=32, default="個")
    weight_kg = serializers.DecimalField(max_digits=8, decimal_places=3, min_value=0, default=0)
    active = serializers.BooleanField(default=True)


class RecipeLineSerializer(serializers.Serializer):
    item = serializers.SlugField(help_text="Item code.")
    item_name = serializers.CharField(read_only=True)
    quantity = serializers.IntegerField(min_value=1, max_value=1000)


class RecipeSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    note = serializers.CharField()
    created_at = serializers.DateTimeField()
    lines = serializers.SerializerMethodField()

    @extend_schema_field(RecipeLineSerializer(many=True))
    def get_lines(self, recipe) -> list[dict]:
        return [
            {"item": line.item.code, "item_name": line.item.name, "quantity": line.quantity}
            for line in recipe.lines.all()
        ]


class PackTypeSerializer(serializers.ModelSerializer):
    recipe = serializers.SerializerMethodField(help_text="The current bill of contents (newest version).")
    alternatives = serializers.SlugRelatedField(
        slug_field="code",
        many=True,
        read_only=True,
        help_text="Codes of its allergen-free alternatives, packed instead of it for a household "
        "allergic to what it contains (docs/traceability.md); coordinators name them on the console's "
        "pack type page.",
    )

    class Meta:
        model = PackType
        fields = ["id", "code", "name", "days", "sort_order", "active", "recipe", "alternatives"]

    @extend_schema_field(RecipeSerializer(allow_null=True))
    def get_recipe(self, pack_type) -> dict | None:
        recipes = getattr(pack_type, "recipe_list", None)
        if recipes is None:
            recipes = list(pack_type.recipes.order_by("-version")[:1])
        return RecipeSerializer(recipes[0]).data if recipes else None


class PackTypeIn(serializers.Serializer):
    food_bank = IdField(required=False, help_text="Needed only if you coordinate several.")
    code = serializers.SlugField(max_length=32)
    name = serializers.CharField(max_length=100)
    days = serializers.IntegerField(min_value=1, max_value=60)
    sort_order = serializers.IntegerField(min_value=0, max_value=1000, default=0)
    active = serializers.BooleanField(default=True)


class RecipeIn(serializers.Serializer):
    lines = RecipeLineSerializer(many=True, allow_empty=False)
    note = serializers.CharField(max_length=300, allow_blank=True, default="")


# --- Stock ----------------------------------------------------------------------------------------


class PackStockSerializer(serializers.Serializer):
    pack_type = serializers.CharField(source="pack_type.code", help_text="Pack type code (day1, day3, home).")
    name = serializers.CharField(source="pack_type.name")
    days = serializers.IntegerField(source="pack_type.days")
    quantity = serializers.IntegerField(help_text="On hand and not expired: what can be handed out now.")
    earliest_best_before = serializers.DateField(allow_null=True)
    reserved = serializers.IntegerField(help_text="Committed to a dispatch batch, still on the shelf.")
    in_transit = serializers.IntegerField(help_text="On its way here in restock shipments.")
    expired = serializers.IntegerField(help_text="Past its best-before date, waiting for a write-off.")
    par = serializers.IntegerField(allow_null=True, help_text="Par level in force today (windows).")


class ItemStockSerializer(serializers.Serializer):
    item = serializers.CharField(source="item.code")
    name = serializers.CharField(source="item.name")
    unit = serializers.CharField(source="item.unit")
    quantity = serializers.IntegerField()
    earliest_best_before = serializers.DateField(allow_null=True)
    reserved = serializers.IntegerField()
    expired = serializers.IntegerField()


class MovementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    site = serializers.IntegerField(source="site_id")
    item = serializers.CharField(source="item.code", allow_null=True, default=None)
    pack_type = serializers.CharField(source="pack_type.code", allow_null=True, default=None)
    best_before = serializers.DateField(allow_null=True)
    quantity = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=MovementKind.choices)
    reason = serializers.CharField()
    note = serializers.CharField()
    reference = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    recorded_at = serializers.DateTimeField()
    handout = serializers.IntegerField(source="handout_id", allow_null=True)
    receipt = serializers.IntegerField(source="receipt_id", allow_null=True)
    restock = serializers.IntegerField(source="restock_id", allow_null=True)
    lot = serializers.IntegerField(
        source="lot_id", allow_null=True, help_text="Lot id (docs/traceability.md)."
    )
    reverses = serializers.IntegerField(source="reverses_id", allow_null=True)


class SkuLotIn(serializers.Serializer):
    """One lot: exactly one of ``item`` and ``pack_type`` (codes), and its best-before date."""

    item = serializers.SlugField(required=False)
    pack_type = serializers.SlugField(required=False)
    best_before = serializers.DateField(required=False, allow_null=True, default=None)

    def validate(self, data):
        if ("item" in data) == ("pack_type" in data):
            raise serializers.ValidationError(_("Name exactly one of item and pack_type."), code="one_sku")
        return data


class AdjustmentIn(SkuLotIn):
    site = IdField()
    quantity = serializers.IntegerField(
        min_value=-MAX_QUANTITY, max_value=MAX_QUANTITY, help_text="Signed: negative takes stock out."
    )
    kind = serializers.ChoiceField(
        choices=[(MovementKind.ADJUSTMENT, "adjustment"), (MovementKind.WRITE_OFF, "write_off")],
        default=MovementKind.ADJUSTMENT,
    )
    reason = serializers.ChoiceField(choices=ReasonCode.choices)
    note = serializers.CharField(max_length=300, allow_blank=True, default="")
    occurred_at = serializers.DateTimeField(required=False)

    def validate_quantity(self, value):
        if value == 0:
            raise serializers.ValidationError(_("Must not be zero."))
        return value


class ReverseIn(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ReasonCode.choices, default=ReasonCode.ENTRY_ERROR)


# --- Handouts -------------------------------------------------------------------------------------


class HandoutLineIn(serializers.Serializer):
    pack_type = serializers.SlugField(max_length=32, help_text="Pack type code, e.g. day1, day3.")
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_SETS_PER_LINE)


class HouseholdSerializer(serializers.Serializer):
    size = serializers.IntegerField(
        min_value=1, max_value=30, allow_null=True, default=None, help_text="People; null: not recorded."
    )
    type = serializers.ChoiceField(
        choices=HandoutHouseholdType.choices,
        default=HandoutHouseholdType.UNKNOWN,
        help_text="`unknown`: not recorded (the default: a handout does not invent a household).",
    )


class HandoutIn(serializers.Serializer):
    site = IdField(help_text="The window (site id) handing out.")
    lines = HandoutLineIn(many=True, allow_empty=False, max_length=10)
    household = HouseholdSerializer(
        default=lambda: {"size": None, "type": HandoutHouseholdType.UNKNOWN},
        help_text="Omitted: not recorded (`{size: null, type: unknown}`).",
    )
    referral_consent = serializers.BooleanField(
        default=False, help_text="The person agrees to be referred to a consultation service."
    )
    condition_checked = serializers.BooleanField(
        default=True,
        help_text=(
            "The sets were checked intact and in date (default true). False is recorded as not "
            "checked; the handout is not refused."
        ),
    )
    note = serializers.CharField(max_length=1000, allow_blank=True, default="")
    occurred_at = serializers.DateTimeField(
        required=False,
        help_text=(
            "When it happened, if logged late (default: now). Not in the future, and at most "
            "`HANDOUT_LATE_ENTRY_DAYS` (7) days back: 400 with code `too_late`."
        ),
    )

    def validate_occurred_at(self, value):
        try:
            return late_entry.check_occurred_at(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages, code=exc.code) from exc

    def validate_lines(self, lines):
        codes = [line["pack_type"] for line in lines]
        if len(set(codes)) != len(codes):
            raise serializers.ValidationError(_("Each pack type may appear only once."), code="duplicate")
        return lines


_SLUG = re.compile(r"^[-a-zA-Z0-9_]+\Z")
_HANDOUT_KEYS = frozenset({"site", "lines", "household", "referral_consent", "condition_checked", "note"})
_LINE_KEYS = frozenset({"pack_type", "quantity"})


def plain_handout_input(data) -> dict | None:
    """``HandoutIn``'s validated data for a plainly well-formed body, or None for anything else
    (then ``HandoutIn`` validates it and words the errors).

    Building HandoutIn's nested fields for each request cost a tenth of a handout's CPU
    (docs/benchmarks.md). Only the common shape is taken here, checked as strictly as HandoutIn
    checks it: JSON integers and booleans of the right type and range, known keys only, codes as
    slugs, a note without NUL or surrogate characters, no ``occurred_at``; what HandoutIn would
    coerce or refuse is left to it. ``tests/inventory/test_handouts_api.py`` compares both.
    """
    if type(data) is not dict or not data.keys() <= _HANDOUT_KEYS:
        return None
    site, lines = data.get("site"), data.get("lines")
    if (
        type(site) is not int
        or not 1 <= site <= MAX_ID
        or type(lines) is not list
        or not 1 <= len(lines) <= 10
    ):
        return None
    clean_lines = []
    for line in lines:
        if type(line) is not dict or line.keys() != _LINE_KEYS:
            return None
        code, quantity = line["pack_type"], line["quantity"]
        if type(code) is not str or len(code) > 32 or not _SLUG.match(code):
            return None
        if type(quantity) is not int or not 1 <= quantity <= MAX_SETS_PER_LINE:
            return None
        clean_lines.append({"pack_type": code, "quantity": quantity})
    if len({line["pack_type"] for line in clean_lines}) != len(clean_lines):
        return None
    household = data.get("household", {})
    if type(household) is not dict or not household.keys() <= {"size", "type"}:
        return None
    size = household.get("size")
    kind = household.get("type", HandoutHouseholdType.UNKNOWN.value)
    if size is not None and (type(size) is not int or not 1 <= size <= 30):
        return None
    if type(kind) is not str or kind not in HandoutHouseholdType.values:
        return None
    consent = data.get("referral_consent", False)
    checked = data.get("condition_checked", True)
    note = data.get("note", "")
    if type(consent) is not bool or type(checked) is not bool or type(note) is not str:
        return None
    note = note.strip()
    if len(note) > 1000 or "\x00" in note or any(0xD800 <= ord(c) <= 0xDFFF for c in note):
        return None
    return {
        "site": site,
        "lines": clean_lines,
        "household": {"size": size, "type": kind},
        "referral_consent": consent,
        "condition_checked": checked,
        "note": note,
    }


class HandoutLineOut(serializers.Serializer):
    pack_type = serializers.CharField()
    quantity = serializers.IntegerField()


class HandoutOut(serializers.Serializer):
    """Rendered by hand (a plain dict), so that the hot endpoint spends no time in field machinery."""

    id = serializers.IntegerField()
    site = IdField()
    occurred_at = serializers.DateTimeField()
    recorded_at = serializers.DateTimeField()
    lines = HandoutLineOut(many=True)
    sets = serializers.IntegerField(help_text="Sets handed out in total.")
    household = HouseholdSerializer()
    referral_consent = serializers.BooleanField()
    condition_checked = serializers.BooleanField(
        allow_null=True, help_text="Null: logged before the condition check was recorded."
    )
    note = serializers.CharField()
    voided_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, handout):
        lines = handout.line_list
        return {
            "id": handout.pk,
            "site": handout.site_id,
            "occurred_at": serializers.DateTimeField().to_representation(handout.occurred_at),
            "recorded_at": serializers.DateTimeField().to_representation(handout.recorded_at),
            "lines": [{"pack_type": line.pack_type.code, "quantity": line.quantity} for line in lines],
            "sets": sum(line.quantity for line in lines),
            "household": {"size": handout.household_size, "type": handout.household_type},
            "referral_consent": handout.referral_consent,
            "condition_checked": handout.condition_checked,
            "note": handout.note,
            "voided_at": (
                serializers.DateTimeField().to_representation(handout.voided_at)
                if handout.voided_at
                else None
            ),
        }


# --- Donations, assembly, stock-takes -------------------------------------------------------------


class ReceiptLineSerializer(serializers.Serializer):
    item = serializers.SlugField(help_text="Item code.")
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    best_before = serializers.DateField(required=False, allow_null=True, default=None)


class ReceiptIn(serializers.Serializer):
    site = IdField(help_text="Where it was received (usually the warehouse).")
    donor_type = serializers.ChoiceField(choices=DonationReceipt.DonorType.choices)
    donor_name = serializers.CharField(
        max_length=200,
        allow_blank=True,
        default="",
        help_text="A company or farm; leave blank for individuals.",
    )
    weight_kg = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)
    reference = serializers.CharField(max_length=100, allow_blank=True, default="")
    note = serializers.CharField(max_length=300, allow_blank=True, default="")
    received_at = serializers.DateTimeField(required=False)
    lines = ReceiptLineSerializer(many=True, allow_empty=False)


class ReceiptOut(serializers.ModelSerializer):
    lines = serializers.SerializerMethodField()

    class Meta:
        model = DonationReceipt
        fields = [
            "id",
            "site",
            "donor_type",
            "donor_name",
            "weight_kg",
            "reference",
            "note",
            "received_at",
            "recorded_at",
            "lines",
        ]

    @extend_schema_field(ReceiptLineSerializer(many=True))
    def get_lines(self, receipt) -> list[dict]:
        return [
            {"item": line.item.code, "quantity": line.quantity, "best_before": line.best_before}
            for line in receipt.lines.all()
        ]


class AssemblyIn(serializers.Serializer):
    site = IdField(help_text="The warehouse.")
    pack_type = serializers.SlugField()
    quantity = serializers.IntegerField(min_value=1, max_value=10000)


class AssemblyOut(serializers.Serializer):
    id = serializers.IntegerField()
    site = serializers.IntegerField(source="site_id")
    pack_type = serializers.CharField(source="pack_type.code")
    recipe_version = serializers.IntegerField(source="recipe.version")
    quantity = serializers.IntegerField()
    best_before = serializers.DateField(allow_null=True)
    occurred_at = serializers.DateTimeField()


class CountLineIn(SkuLotIn):
    counted = serializers.IntegerField(min_value=0, max_value=MAX_QUANTITY)
    reason = serializers.ChoiceField(
        choices=ReasonCode.choices, required=False, default=ReasonCode.COUNT_DIFFERENCE
    )


class StockTakeIn(serializers.Serializer):
    site = IdField()
    lines = CountLineIn(many=True, allow_empty=False)
    note = serializers.CharField(max_length=300, allow_blank=True, default="")
    counted_at = serializers.DateTimeField(required=False)


class CountLineOut(serializers.Serializer):
    item = serializers.CharField(source="item.code", allow_null=True, default=None)
    pack_type = serializers.CharField(source="pack_type.code", allow_null=True, default=None)
    best_before = serializers.DateField(allow_null=True)
    expected = serializers.IntegerField()
    counted = serializers.IntegerField()
    difference = serializers.IntegerField()
    reason = serializers.CharField()


class StockTakeOut(serializers.ModelSerializer):
    lines = CountLineOut(many=True)
    counted_by = serializers.CharField(source="counted_by.username")
    confirmed_by = serializers.CharField(source="confirmed_by.username", allow_null=True, default=None)

    class Meta:
        model = StockTake
        fields = [
            "id",
            "site",
            "status",
            "note",
            "counted_at",
            "counted_by",
            "confirmed_at",
            "confirmed_by",
            "lines",
        ]


# --- Restocking -----------------------------------------------------------------------------------


class RestockLineSerializer(serializers.Serializer):
    pack_type = serializers.SlugField()
    quantity = serializers.IntegerField(min_value=0, max_value=10000)


class RestockIn(serializers.Serializer):
    site = IdField(help_text="The window to restock.")
    lines = RestockLineSerializer(many=True, allow_empty=False)
    note = serializers.CharField(max_length=300, allow_blank=True, default="")


class RestockApproveIn(serializers.Serializer):
    lines = RestockLineSerializer(many=True, required=False, help_text="Change quantities (0 drops a line).")


class RestockOut(serializers.ModelSerializer):
    lines = serializers.SerializerMethodField()
    to_site_name = serializers.CharField(source="to_site.name")

    class Meta:
        model = RestockShipment
        fields = [
            "id",
            "from_site",
            "to_site",
            "to_site_name",
            "status",
            "origin",
            "note",
            "dispatch_reference",
            "lines",
            "created_at",
            "approved_at",
            "booked_at",
            "packed_at",
            "received_at",
            "cancelled_at",
        ]

    @extend_schema_field(RestockLineSerializer(many=True))
    def get_lines(self, shipment) -> list[dict]:
        return [
            {"pack_type": line.pack_type.code, "quantity": line.quantity} for line in shipment.lines.all()
        ]


class ParLevelSerializer(serializers.Serializer):
    site = IdField()
    pack_type = serializers.SlugField()
    par = serializers.IntegerField(min_value=0, max_value=10000)
    seasonal_par = serializers.IntegerField(read_only=True, allow_null=True)
    seasonal_until = serializers.DateField(read_only=True, allow_null=True)
    seasonal_label = serializers.CharField(read_only=True)
    effective = serializers.IntegerField(read_only=True, help_text="The par level in force today.")
