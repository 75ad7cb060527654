from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import tokens
from .models import (
    ApiToken,
    AuditEvent,
    IdempotencyKey,
    Membership,
    Organisation,
    OutboxMessage,
    ProvisionRecord,
    Site,
    TaskRedelivery,
    WorkerHeartbeat,
)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "food_bank", "municipality", "regional_bureau", "confidential", "active"]
    list_filter = ["kind", "regional_bureau", "confidential", "active"]
    search_fields = ["name", "code", "municipality"]
    prepopulated_fields = {"code": ["name"]}


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "organisation",
        "municipality",
        "regional_bureau",
        "confidential",
        "active",
    ]
    list_filter = ["kind", "regional_bureau", "confidential", "active", "food_bank"]
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


@admin.register(TaskRedelivery)
class TaskRedeliveryAdmin(ReadOnlyAdmin):
    list_display = ["task_name", "task_id", "redeliveries", "first_at", "last_at", "gave_up_at"]
    list_filter = ["task_name"]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ["queue", "beat_at", "hostname"]


@admin.register(ProvisionRecord)
class ProvisionRecordAdmin(ReadOnlyAdmin):
    list_display = ["provided_at", "subject_id", "recipient_name", "basis", "trigger_type", "trigger_id"]
    list_filter = ["basis", "trigger_type", "food_bank"]
    search_fields = ["=subject_id", "recipient_name", "trigger_id"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued with `manage.py issue_token` (or the token endpoint), which show the key
    once; here they are listed and revoked. Nothing else about a token can be changed."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), ("expires_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "user__username", "=prefix"]
    readonly_fields = [
        "name",
        "user",
        "prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "revoked_by",
    ]
    exclude = ["key_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # A revoked token stays on record: who had access, and until when.
        return False

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        count = tokens.revoke_tokens(tokens=queryset, revoked_by=request.user)
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count) % {"count": count},
            messages.SUCCESS,
        )
