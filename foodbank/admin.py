from django.contrib import admin

from .models import AuditEvent, IdempotencyKey, Membership, Organisation, OutboxMessage, Site, WorkerHeartbeat


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "food_bank", "municipality", "regional_bureau", "active"]
    list_filter = ["kind", "regional_bureau", "active"]
    search_fields = ["name", "code", "municipality"]
    prepopulated_fields = {"code": ["name"]}


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "organisation", "municipality", "regional_bureau", "active"]
    list_filter = ["kind", "regional_bureau", "active", "food_bank"]
    search_fields = ["name", "code", "municipality", "postal_code"]
    autocomplete_fields = ["organisation"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "organisation", "site", "food_bank", "active"]
    list_filter = ["role", "active", "food_bank"]
    search_fields = ["user__username", "organisation__name", "site__name"]
    autocomplete_fields = ["user", "organisation", "site"]
    # The tenant follows from the organisation (Membership.clean sets it).
    exclude = ["food_bank"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Append-only records: visible, never edited or deleted through the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "actor_role", "action", "object_type", "object_id", "ip_address"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor__username"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["pk", "task_name", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = ["task_name"]


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ["scope", "key", "user", "state", "response_status", "resource_id", "created_at"]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ["queue", "beat_at", "hostname"]
