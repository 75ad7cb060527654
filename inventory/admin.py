"""Admin for the inventory's reference data (items, pack types and recipes, par levels), donation
receipts and stock-takes. The ledger, balances, handouts and reservations are shown read-only: they
change only through the services, which keep balances and movements together."""

from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from foodbank.admin import ReadOnlyAdmin
from foodbank.exceptions import DomainError

from . import services
from .models import (
    Assembly,
    Balance,
    DonationReceipt,
    DonationReceiptLine,
    ExpiryReport,
    Handout,
    HandoutLine,
    Item,
    PackRecipe,
    PackRecipeLine,
    PackSizing,
    PackType,
    ParLevel,
    Reservation,
    ReservationLine,
    RestockLine,
    RestockShipment,
    StockMovement,
    StockTake,
    StockTakeLine,
)


class AddOnlyInline(admin.TabularInline):
    """Lines that are written once with their parent and never edited afterwards."""

    extra = 3

    def has_change_permission(self, request, obj=None):
        return obj is None

    def has_delete_permission(self, request, obj=None):
        return obj is None


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "category", "unit", "weight_kg", "food_bank", "active"]
    list_filter = ["category", "active", "food_bank"]
    search_fields = ["name", "code"]


class RecipeInline(ReadOnlyInline):
    model = PackRecipe
    fields = ["version", "note", "created_at", "created_by"]
    readonly_fields = fields
    show_change_link = True


@admin.register(PackType)
class PackTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "days", "sort_order", "food_bank", "active"]
    list_filter = ["active", "food_bank"]
    search_fields = ["name", "code"]
    inlines = [RecipeInline]


@admin.register(PackSizing)
class PackSizingAdmin(admin.ModelAdmin):
    """The food bank's rule for sizing home deliveries (inventory.sizing, docs/journeys.md)."""

    list_display = ["pack_type", "person_days", "max_per_box", "food_bank"]
    list_filter = ["food_bank"]


class PackRecipeLineInline(AddOnlyInline):
    model = PackRecipeLine
    autocomplete_fields = ["item"]


@admin.register(PackRecipe)
class PackRecipeAdmin(admin.ModelAdmin):
    """A new recipe is a new version (numbered on save); saved versions are never edited."""

    list_display = ["pack_type", "version", "note", "created_at", "created_by"]
    list_filter = ["pack_type__food_bank", "pack_type"]
    fields = ["pack_type", "note"]
    inlines = [PackRecipeLineInline]

    def has_change_permission(self, request, obj=None):
        return obj is None

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            obj.version = services.next_recipe_version(obj.pack_type)
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ParLevel)
class ParLevelAdmin(admin.ModelAdmin):
    list_display = ["site", "pack_type", "par", "seasonal_par", "seasonal_until", "seasonal_label"]
    list_filter = ["food_bank", "pack_type__code"]
    search_fields = ["site__name"]
    fields = ["site", "pack_type", "par", "seasonal_par", "seasonal_until", "seasonal_label"]
    readonly_fields = ["seasonal_par", "seasonal_until", "seasonal_label"]
    autocomplete_fields = ["site"]

    def save_model(self, request, obj, form, change):
        obj.food_bank_id = obj.site.food_bank_id
        super().save_model(request, obj, form, change)


class ReceiptLineInline(AddOnlyInline):
    """Lines added here are accepted as they are; the intake page records the full inspection."""

    model = DonationReceiptLine
    autocomplete_fields = ["item"]
    fields = ["item", "quantity", "best_before"]


@admin.register(DonationReceipt)
class DonationReceiptAdmin(admin.ModelAdmin):
    """Receipts are booked into the ledger when saved; a mistake is corrected by a reversing movement."""

    list_display = ["received_at", "site", "donor_type", "donor_name", "weight_kg", "reference", "booked_at"]
    list_filter = ["donor_type", "food_bank"]
    search_fields = ["donor_name", "reference"]
    fields = ["site", "donor", "donor_type", "donor_name", "weight_kg", "reference", "note", "received_at"]
    inlines = [ReceiptLineInline]
    autocomplete_fields = ["site"]

    def has_change_permission(self, request, obj=None):
        return obj is None

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.food_bank_id = obj.site.food_bank_id
        obj.recorded_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.book_receipt(receipt=form.instance)


class StockTakeLineInline(ReadOnlyInline):
    model = StockTakeLine
    fields = ["item", "pack_type", "best_before", "expected", "counted", "reason"]
    readonly_fields = fields


@admin.register(StockTake)
class StockTakeAdmin(ReadOnlyAdmin):
    list_display = ["counted_at", "site", "status", "counted_by", "confirmed_by", "confirmed_at"]
    list_filter = ["status", "food_bank"]
    inlines = [StockTakeLineInline]
    actions = ["confirm"]

    @admin.action(description=_("Confirm the selected counts (someone else must have counted)"))
    def confirm(self, request, queryset):
        for take in queryset.order_by("pk"):
            try:
                with transaction.atomic():
                    services.confirm_stock_take(stock_take_id=take.pk, confirmed_by=request.user)
            except DomainError as exc:
                self.message_user(request, f"{take}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, _("%(take)s confirmed.") % {"take": take}, messages.SUCCESS)


class RestockLineInline(ReadOnlyInline):
    model = RestockLine
    fields = ["pack_type", "quantity"]
    readonly_fields = fields


@admin.register(RestockShipment)
class RestockShipmentAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "to_site",
        "status",
        "origin",
        "created_at",
        "approved_at",
        "packed_at",
        "received_at",
    ]
    list_filter = ["status", "origin", "food_bank"]
    search_fields = ["to_site__name", "dispatch_reference"]
    inlines = [RestockLineInline]
    actions = ["approve", "cancel"]

    @admin.action(description=_("Approve the selected restocks"))
    def approve(self, request, queryset):
        for shipment in queryset.order_by("pk"):
            try:
                services.approve_restock(shipment_id=shipment.pk, approved_by=request.user)
            except DomainError as exc:
                self.message_user(request, f"{shipment}: {exc.message}", messages.ERROR)

    @admin.action(description=_("Cancel the selected restocks"))
    def cancel(self, request, queryset):
        for shipment in queryset.order_by("pk"):
            try:
                services.cancel_restock(shipment_id=shipment.pk)
            except DomainError as exc:
                self.message_user(request, f"{shipment}: {exc.message}", messages.ERROR)


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "site", "kind", "item", "pack_type", "best_before", "quantity", "reason"]
    list_filter = ["kind", "reason", "food_bank"]
    search_fields = ["reference", "site__name"]
    date_hierarchy = "occurred_at"


@admin.register(Balance)
class BalanceAdmin(ReadOnlyAdmin):
    list_display = ["site", "item", "pack_type", "best_before", "on_hand", "reserved"]
    list_filter = ["food_bank", "site__kind"]
    search_fields = ["site__name", "item__name", "pack_type__name"]


class HandoutLineInline(ReadOnlyInline):
    model = HandoutLine
    fields = ["pack_type", "quantity"]
    readonly_fields = fields


@admin.register(Handout)
class HandoutAdmin(ReadOnlyAdmin):
    list_display = [
        "occurred_at",
        "site",
        "household_type",
        "household_size",
        "referral_consent",
        "voided_at",
    ]
    list_filter = ["household_type", "referral_consent", "food_bank"]
    # The note may say something about the person: not shown in the admin.
    exclude = ["note"]
    inlines = [HandoutLineInline]


@admin.register(Assembly)
class AssemblyAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "site", "pack_type", "recipe", "quantity", "best_before"]


class ReservationLineInline(ReadOnlyInline):
    model = ReservationLine
    fields = ["item", "pack_type", "best_before", "quantity"]
    readonly_fields = fields


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = ["reference", "site", "state", "created_at", "closed_at"]
    list_filter = ["state"]
    search_fields = ["reference"]
    inlines = [ReservationLineInline]


@admin.register(ExpiryReport)
class ExpiryReportAdmin(ReadOnlyAdmin):
    list_display = ["report_date", "site", "within_days"]
    list_filter = ["report_date"]
