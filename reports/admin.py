from django.contrib import admin

from .models import RollupState


@admin.register(RollupState)
class RollupStateAdmin(admin.ModelAdmin):
    list_display = ["name", "complete_before", "changes_seen_at", "refreshed_at"]
    readonly_fields = ["name", "complete_before", "changes_seen_at", "refreshed_at"]
