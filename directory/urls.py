"""Routes of the HSDS directory, mounted at /api/hsds/."""

from django.urls import path

from . import views

app_name = "directory"
urlpatterns = [
    path("", views.root, name="root"),
    path("organizations/", views.organizations, name="organizations"),
    path("organizations/<uuid:pk>/", views.organization, name="organization"),
    path("services/", views.services, name="services"),
    path("services/<uuid:pk>/", views.service, name="service"),
    path("service_at_locations/", views.service_at_locations, name="service-at-locations"),
]
