"""Page routes of `traceability`, mounted at the site root."""

from django.urls import path

from . import views

app_name = "traceability"
urlpatterns = [
    path("intake/", views.intake, name="intake"),
    path("donors/", views.donors, name="donors"),
    path("recall/", views.recall, name="recall"),
    path("recalls/<int:pk>/", views.recall_detail, name="recall-detail"),
]
