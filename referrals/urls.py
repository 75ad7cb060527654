"""Page routes of `referrals`, mounted at the site root."""

from django.urls import path

from . import correction_views, feedback_views, referral_views, views

app_name = "referrals"
urlpatterns = [
    path("requests/", views.request_list, name="request-list"),
    path("requests/new/", views.request_new, name="request-new"),
    path("requests/<int:pk>/", views.request_detail, name="request-detail"),
    path("requests/<int:pk>/cancel/", views.request_cancel, name="request-cancel"),
    path("requests/<int:pk>/correct/", correction_views.request_correct, name="request-correct"),
    path("triage/", views.triage, name="triage"),
    path("triage/<int:pk>/approve/", views.triage_approve, name="triage-approve"),
    path("triage/<int:pk>/decline/", views.triage_decline, name="triage-decline"),
    path("triage/<int:pk>/refer/", referral_views.refer_request, name="refer-request"),
    path("feedback/", referral_views.feedback, name="feedback"),
    path("feedback/export.csv", feedback_views.feedback_export, name="feedback-export"),
    path("referrals/", referral_views.referral_list, name="referral-list"),
    path("referrals/inbox/", referral_views.inbox, name="inbox"),
    path("referrals/inbox/<int:pk>/acknowledge/", referral_views.inbox_acknowledge, name="inbox-acknowledge"),
    path("referrals/inbox/<int:pk>/contacted/", referral_views.inbox_contacted, name="inbox-contacted"),
    path("referrals/inbox/<int:pk>/close/", referral_views.inbox_close, name="inbox-close"),
    path(
        "referrals/handout-contacts/<int:pk>/refer/",
        referral_views.refer_handout_contact,
        name="refer-handout-contact",
    ),
    path("handouts/<int:pk>/referral-contact/", referral_views.handout_contact, name="handout-contact"),
]
