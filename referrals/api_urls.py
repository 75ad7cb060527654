"""API routes of `referrals`, mounted under /api/v1/."""

urlpatterns: list = []
