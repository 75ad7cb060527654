"""Page routes of `referrals`, mounted at the site root."""

from django.urls import path

from . import feedback_views, views

app_name = "referrals"
urlpatterns = [
    path("requests/", views.request_list, name="request-list"),
    path("requests/new/", views.request_new, name="request-new"),
    path("requests/<int:pk>/", views.request_detail, name="request-detail"),
    path("requests/<int:pk>/cancel/", views.request_cancel, name="request-cancel"),
    path("triage/", views.triage, name="triage"),
    path("triage/<int:pk>/approve/", views.triage_approve, name="triage-approve"),
    path("triage/<int:pk>/decline/", views.triage_decline, name="triage-decline"),
    path("feedback/export.csv", feedback_views.feedback_export, name="feedback-export"),
]
