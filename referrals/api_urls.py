"""API routes of `referrals`, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("delivery-requests/", api.DeliveryRequestListCreateView.as_view(), name="api-delivery-requests"),
    path(
        "delivery-requests/<int:pk>/",
        api.DeliveryRequestDetailView.as_view(),
        name="api-delivery-request-detail",
    ),
    path(
        "delivery-requests/<int:pk>/approve/", api.ApproveView.as_view(), name="api-delivery-request-approve"
    ),
    path(
        "delivery-requests/<int:pk>/decline/", api.DeclineView.as_view(), name="api-delivery-request-decline"
    ),
    path("delivery-requests/<int:pk>/cancel/", api.CancelView.as_view(), name="api-delivery-request-cancel"),
    path("intake/navi/", api.NaviIntakeView.as_view(), name="api-navi-intake"),
    path("consents/", api.ConsentListCreateView.as_view(), name="api-consents"),
    path("consents/<int:pk>/", api.ConsentDetailView.as_view(), name="api-consent-detail"),
    path("consents/<int:pk>/withdraw/", api.ConsentWithdrawView.as_view(), name="api-consent-withdraw"),
    path("enrolments/", api.EnrolmentListCreateView.as_view(), name="api-enrolments"),
    path("enrolments/<int:pk>/end/", api.EndEnrolmentView.as_view(), name="api-enrolment-end"),
    path("referrals/", api.ReferralListCreateView.as_view(), name="api-referrals"),
    path("referrals/<int:pk>/", api.ReferralDetailView.as_view(), name="api-referral-detail"),
    path(
        "referrals/<int:pk>/acknowledge/",
        api.ReferralAcknowledgeView.as_view(),
        name="api-referral-acknowledge",
    ),
    path("referrals/<int:pk>/contacted/", api.ReferralContactedView.as_view(), name="api-referral-contacted"),
    path("referrals/<int:pk>/close/", api.ReferralCloseView.as_view(), name="api-referral-close"),
    path("feedback/", api.FeedbackListCreateView.as_view(), name="api-feedback"),
    path(
        "handouts/<int:pk>/referral-contact/",
        api.HandoutReferralContactView.as_view(),
        name="api-handout-referral-contact",
    ),
]
