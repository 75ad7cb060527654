"""API routes of `referrals`, mounted under /api/v1/."""

from django.urls import path

from .api import consents, delivery_requests, feedback, handout_contacts, navi, programme, referrals_back

urlpatterns = [
    path(
        "delivery-requests/",
        delivery_requests.DeliveryRequestListCreateView.as_view(),
        name="api-delivery-requests",
    ),
    path(
        "delivery-requests/<int:pk>/",
        delivery_requests.DeliveryRequestDetailView.as_view(),
        name="api-delivery-request-detail",
    ),
    path(
        "delivery-requests/<int:pk>/approve/",
        delivery_requests.ApproveView.as_view(),
        name="api-delivery-request-approve",
    ),
    path(
        "delivery-requests/<int:pk>/decline/",
        delivery_requests.DeclineView.as_view(),
        name="api-delivery-request-decline",
    ),
    path(
        "delivery-requests/<int:pk>/cancel/",
        delivery_requests.CancelView.as_view(),
        name="api-delivery-request-cancel",
    ),
    path("intake/navi/", navi.NaviIntakeView.as_view(), name="api-navi-intake"),
    path("consents/", consents.ConsentListCreateView.as_view(), name="api-consents"),
    path("consents/<int:pk>/", consents.ConsentDetailView.as_view(), name="api-consent-detail"),
    path("consents/<int:pk>/withdraw/", consents.ConsentWithdrawView.as_view(), name="api-consent-withdraw"),
    path("enrolments/", programme.EnrolmentListCreateView.as_view(), name="api-enrolments"),
    path("enrolments/<int:pk>/end/", programme.EndEnrolmentView.as_view(), name="api-enrolment-end"),
    path("referrals/", referrals_back.ReferralListCreateView.as_view(), name="api-referrals"),
    path("referrals/<int:pk>/", referrals_back.ReferralDetailView.as_view(), name="api-referral-detail"),
    path(
        "referrals/<int:pk>/acknowledge/",
        referrals_back.ReferralAcknowledgeView.as_view(),
        name="api-referral-acknowledge",
    ),
    path(
        "referrals/<int:pk>/contacted/",
        referrals_back.ReferralContactedView.as_view(),
        name="api-referral-contacted",
    ),
    path("referrals/<int:pk>/close/", referrals_back.ReferralCloseView.as_view(), name="api-referral-close"),
    path("feedback/", feedback.FeedbackListCreateView.as_view(), name="api-feedback"),
    path(
        "handouts/<int:pk>/referral-contact/",
        handout_contacts.HandoutReferralContactView.as_view(),
        name="api-handout-referral-contact",
    ),
]
