"""Admin for the referrals domain. Requests change status only through the services (triage pages,
API, shipping), so the admin shows them read-only; events, consents and withdrawals are
append-only. Opening a request in the admin is a view of personal data and is recorded."""

from django.contrib import admin
from django.db import models

from foodbank import audit
from foodbank.admin import ReadOnlyAdmin

from .models import (
    ConsentRecord,
    ConsentWithdrawal,
    DeliveryRequest,
    DeliveryRequestEvent,
    Enrolment,
    Feedback,
    HandoutContact,
    NaviApplication,
    Notification,
    Recipient,
    Referral,
    ReferralEvent,
)


class EventInline(admin.TabularInline):
    model = DeliveryRequestEvent
    extra = 0
    can_delete = False
    fields = ["at", "by", "from_status", "to_status", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class AuditedReadOnlyAdmin(ReadOnlyAdmin):
    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None:
            audit.record_view(
                request,
                object_type=self.model._meta.model_name,
                object_id=obj.pk,
                subject_id=getattr(obj, "recipient_id", obj.pk if isinstance(obj, Recipient) else None),
                food_bank_id=obj.food_bank_id,
                detail={"via": "admin"},
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(DeliveryRequest)
class DeliveryRequestAdmin(AuditedReadOnlyAdmin):
    list_display = [
        "reference",
        "source",
        "status",
        "agency",
        "submitted_at",
        "approved_at",
        "tracking_number",
    ]
    list_filter = ["status", "source", "situation_category", "food_bank"]
    search_fields = ["=id", "client_reference", "tracking_number", "batch_ref"]
    date_hierarchy = "submitted_at"
    list_select_related = ["agency"]
    inlines = [EventInline]
    exclude = ["situation_note"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Recipient)
class RecipientAdmin(AuditedReadOnlyAdmin):
    list_display = ["__str__", "household_type", "municipality", "agency", "created_at"]
    list_filter = ["household_type", "regional_bureau", "food_bank"]
    exclude = ["phone", "phone_index"]


@admin.register(NaviApplication)
class NaviApplicationAdmin(ReadOnlyAdmin):
    list_display = [
        "application_id",
        "received_at",
        "household_type",
        "lost_income",
        "lost_job",
        "has_debts",
        "first_time_at_food_bank",
        "has_someone_to_consult",
        "wants_referral",
    ]
    list_filter = ["household_type", "has_debts", "wants_referral", "first_time_at_food_bank"]
    exclude = ["debts_note"]


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "recipient",
        "purpose",
        "decision",
        "method",
        "decided_at",
        "recorded_by_organisation",
    ]
    list_filter = ["purpose", "decision", "method", "basis"]


@admin.register(ConsentWithdrawal)
class ConsentWithdrawalAdmin(ReadOnlyAdmin):
    list_display = ["consent", "withdrawn_at", "recorded_by", "recorded_by_organisation"]


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyAdmin):
    list_display = ["pk", "recipient", "agency", "starts_on", "ends_on", "active"]
    list_filter = ["active", "food_bank"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["pk", "event", "created_at", "sent_at", "skipped"]


class ReferralEventInline(admin.TabularInline):
    model = ReferralEvent
    extra = 0
    can_delete = False
    fields = ["at", "kind", "by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Referral)
class ReferralAdmin(AuditedReadOnlyAdmin):
    """Referrals change only through the inbox, the API and the services; the admin shows the
    trail. The target's notes and the shared needs stay out of it."""

    list_display = [
        "reference",
        "status",
        "source",
        "target_site",
        "target_organisation",
        "sent_at",
        "escalated_at",
        "consent_withdrawn_at",
    ]
    list_filter = ["status", "source", "food_bank"]
    search_fields = ["=id"]
    date_hierarchy = "sent_at"
    list_select_related = ["target_site", "target_organisation"]
    inlines = [ReferralEventInline]
    exclude = ["needs", "contact_outcome", "outcome"]


@admin.register(HandoutContact)
class HandoutContactAdmin(ReadOnlyAdmin):
    list_display = ["handout", "recipient", "created_at"]


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin):
    """Private messages are only for the coordinators (admin users are staff of the food bank)."""

    list_display = ["pk", "received_on", "may_be_published", "food_bank", "recorded_at"]
    list_filter = ["may_be_published", "food_bank"]
