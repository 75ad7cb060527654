"""API routes of `shipping`, mounted under /api/v1/."""

urlpatterns: list = []
