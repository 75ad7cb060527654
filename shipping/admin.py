"""Admin for shipping. Carrier accounts are reference data and editable here; parcels, their
events, batches, chunks, documents and pantry shipments change only through the services (batch
build, packing station, void, tracking import, the pantry page), so the admin shows them read-only.

Lists name parcels by reference and status only; a parcel's page shows the recipient's name and
address (never the phone) and opening it is recorded as a view of the person's data."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from foodbank import audit
from foodbank.admin import ReadOnlyAdmin
from referrals.models import DeliveryRequest

from .models import (
    BatchChunk,
    BatchDocument,
    CarrierAccount,
    DispatchBatch,
    PantryShipment,
    Parcel,
    ParcelEvent,
)


@admin.register(CarrierAccount)
class CarrierAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "carrier", "food_bank", "cutoff", "pickup_weekdays", "active"]
    list_filter = ["carrier", "active", "food_bank"]
    search_fields = ["name", "billing_customer_code"]
    fieldsets = [
        (None, {"fields": ["food_bank", "name", "carrier", "active"]}),
        (
            _("Carrier codes (B2 Cloud)"),
            {
                "fields": [
                    "billing_customer_code",
                    "billing_class_code",
                    "freight_number",
                    "default_item_name",
                ]
            },
        ),
        (
            _("Sender"),
            {
                "fields": [
                    "sender_name",
                    "sender_name_kana",
                    "sender_phone",
                    "sender_postal_code",
                    "sender_address",
                    "sender_building",
                ]
            },
        ),
        (
            _("Dispatch"),
            {"fields": ["cutoff", "pickup_weekdays", "takes_requests", "takes_restocks", "takes_pantry"]},
        ),
    ]


class ParcelEventInline(admin.TabularInline):
    model = ParcelEvent
    extra = 0
    can_delete = False
    fields = ["at", "by", "from_status", "to_status", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Parcel)
class ParcelAdmin(ReadOnlyAdmin):
    list_display = [
        "reference",
        "source",
        "status",
        "batch",
        "ship_date",
        "tracking_number",
        "stock_reserved",
    ]
    list_filter = ["status", "source", "ship_date", "account"]
    search_fields = ["=reference", "=tracking_number"]
    list_select_related = ["batch"]
    exclude = ["recipient_phone"]
    inlines = [ParcelEventInline]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and obj.delivery_request_id:
            audit.record_view(
                request,
                object_type="parcel",
                object_id=obj.pk,
                subject_id=DeliveryRequest.objects.filter(pk=obj.delivery_request_id)
                .values_list("recipient_id", flat=True)
                .first(),
                food_bank_id=obj.food_bank_id,
                detail={"via": "admin"},
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(ParcelEvent)
class ParcelEventAdmin(ReadOnlyAdmin):
    list_display = ["parcel", "from_status", "to_status", "at", "by"]
    list_filter = ["to_status"]
    search_fields = ["=parcel__reference"]
    list_select_related = ["parcel", "by"]


class BatchChunkInline(admin.TabularInline):
    model = BatchChunk
    extra = 0
    can_delete = False
    fields = ["index", "done_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(DispatchBatch)
class DispatchBatchAdmin(ReadOnlyAdmin):
    list_display = ["reference", "account", "ship_date", "status", "progress", "parcel_count", "finished_at"]
    list_filter = ["status", "account", "ship_date"]
    search_fields = ["=id"]
    list_select_related = ["account"]
    date_hierarchy = "ship_date"
    inlines = [BatchChunkInline]


@admin.register(BatchChunk)
class BatchChunkAdmin(ReadOnlyAdmin):
    list_display = ["batch", "index", "done_at"]
    list_filter = ["done_at"]
    search_fields = ["=batch__id"]


@admin.register(BatchDocument)
class BatchDocumentAdmin(ReadOnlyAdmin):
    list_display = ["batch", "kind", "media_type", "size", "created_at"]
    list_filter = ["kind"]
    search_fields = ["=batch__id"]


@admin.register(PantryShipment)
class PantryShipmentAdmin(ReadOnlyAdmin):
    list_display = ["pk", "partner", "pack_type", "quantity", "status", "created_at"]
    list_filter = ["status", "food_bank"]
    search_fields = ["=id", "partner__name", "=parcels__reference"]
    list_select_related = ["partner", "pack_type"]
