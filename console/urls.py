"""Page routes of the coordinators' console, mounted at /console/."""

from django.urls import path

from .views import casework, network, people, reference, staff

app_name = "console"
urlpatterns = [
    path("", network.index, name="index"),
    path("organisations/", network.organisation_list, name="organisations"),
    path("organisations/new/", network.organisation_edit, name="organisation-new"),
    path("organisations/<int:pk>/", network.organisation_edit, name="organisation"),
    path("sites/", network.site_list, name="sites"),
    path("sites/new/", network.site_edit, name="site-new"),
    path("sites/<int:pk>/", network.site_edit, name="site"),
    path("sites/<int:pk>/par-levels/", network.site_par_levels, name="site-par-levels"),
    path("postal-code/", network.postal_lookup, name="postal-lookup"),
    path("staff/", staff.staff_list, name="staff"),
    path("staff/invite/", staff.staff_invite, name="staff-invite"),
    path("staff/integration/", staff.integration_new, name="integration-new"),
    path("staff/<int:pk>/", staff.staff_member, name="staff-member"),
    path("staff/<int:pk>/roles/", staff.staff_add_role, name="staff-add-role"),
    path("staff/<int:pk>/deactivate/", staff.staff_deactivate, name="staff-deactivate"),
    path("staff/<int:pk>/resend/", staff.staff_resend, name="staff-resend"),
    path("staff/<int:pk>/tokens/", staff.token_issue, name="token-issue"),
    path("tokens/<int:pk>/revoke/", staff.token_revoke, name="token-revoke"),
    path("carriers/", reference.carrier_list, name="carriers"),
    path("carriers/new/", reference.carrier_edit, name="carrier-new"),
    path("carriers/<int:pk>/", reference.carrier_edit, name="carrier"),
    path("pack-types/", reference.pack_type_list, name="pack-types"),
    path("pack-types/new/", reference.pack_type_edit, name="pack-type-new"),
    path("pack-types/<int:pk>/", reference.pack_type_edit, name="pack-type"),
    path("pack-types/<int:pk>/recipe/", reference.pack_type_recipe, name="pack-type-recipe"),
    path("dispatch-rule/", reference.dispatch_rule, name="dispatch-rule"),
    path("people/", people.search, name="people"),
    path("people/<int:pk>/", people.person, name="person"),
    path("people/<int:pk>/consents/", people.person_consent, name="person-consent"),
    path("people/<int:pk>/correct/", people.person_correct, name="person-correct"),
    path("people/<int:pk>/disclosure.json", people.person_export, {"fmt": "json"}, name="person-export-json"),
    path("people/<int:pk>/disclosure.pdf", people.person_export, {"fmt": "pdf"}, name="person-export-pdf"),
    path("duplicates/", people.duplicates, name="duplicates"),
    path("duplicates/<int:pk>/<int:other_pk>/", people.compare, name="compare"),
    path("consents/<int:pk>/withdraw/", people.consent_withdraw, name="consent-withdraw"),
    path("casework/requests/", casework.search, name="casework-search"),
    path("casework/requests/<int:pk>/", casework.request_page, name="casework-request"),
    path(
        "casework/requests/<int:pk>/consents/<int:consent_pk>/withdraw/",
        casework.withdraw,
        name="casework-withdraw",
    ),
    path("casework/requests/<int:pk>/enrol/", casework.enrol, name="casework-enrol"),
    # Public: the link is the credential (one-time, expiring).
    path("invitation/<str:secret>/", staff.invitation, name="invitation"),
]
