"""The Django admin is for the installation's superuser only (docs/console.md).

Coordinators run their food bank from the console; the admin is not scoped to one food bank, so a
staff flag alone must not open it.
"""

from django.contrib import admin


def _superuser_only(request) -> bool:
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = _superuser_only
