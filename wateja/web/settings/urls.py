"""URLs of the settings screen (included by wateja.web.urls, so named "web:…")."""

from django.urls import path

from wateja.web.settings import enrolment_views, security_views, staff_views, views

urlpatterns = [
    path("settings/", views.settings_page, name="settings"),
    path("settings/locations/", views.location_add, name="location_add"),
    path("settings/loyalty/", views.wallet_rules, name="wallet_rules"),
    path("settings/enrolment/", enrolment_views.enrolment_settings, name="enrolment_settings"),
    path("settings/api-keys/", views.apikey_add, name="apikey_add"),
    path("settings/api-keys/<int:key_id>/revoke/", views.apikey_remove, name="apikey_revoke"),
    path("settings/staff/", staff_views.staff_page, name="staff"),
    path("settings/staff/<int:staff_id>/", staff_views.staff_member, name="staff_member"),
    path(
        "settings/staff/<int:staff_id>/password/",
        staff_views.staff_password,
        name="staff_password",
    ),
    path("settings/staff/<int:staff_id>/pin/", staff_views.staff_pin, name="staff_pin"),
    path("settings/staff/<int:staff_id>/access/", staff_views.staff_access, name="staff_access"),
    path(
        "settings/staff/<int:staff_id>/two-step/reset/",
        staff_views.staff_two_factor_reset,
        name="staff_two_factor_reset",
    ),
    path("settings/two-step/", security_views.two_factor_policy, name="two_factor_policy"),
    path("settings/security/", security_views.security_page, name="security"),
    path("settings/security/start/", security_views.security_start, name="security_start"),
    path("settings/security/confirm/", security_views.security_confirm, name="security_confirm"),
    path(
        "settings/security/recovery-codes/",
        security_views.security_recovery_codes,
        name="security_recovery_codes",
    ),
    path("settings/security/off/", security_views.security_off, name="security_off"),
]
