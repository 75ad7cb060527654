from django.contrib import admin

from .models import DirectoryPolicy


@admin.register(DirectoryPolicy)
class DirectoryPolicyAdmin(admin.ModelAdmin):
    list_display = ["food_bank", "publish_capacity"]
