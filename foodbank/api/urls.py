from django.urls import path

from . import views

urlpatterns = [
    path("auth/token/", views.ObtainTokenView.as_view(), name="api-token"),
    path("me/", views.MeView.as_view(), name="api-me"),
    path("sites/", views.SiteListView.as_view(), name="api-sites"),
    path("sites/<int:pk>/", views.SiteDetailView.as_view(), name="api-site-detail"),
]
