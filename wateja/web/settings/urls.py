"""URLs of the settings screen (included by wateja.web.urls, so named "web:…")."""

from django.urls import path

from wateja.web.settings import staff_views, views

urlpatterns = [
    path("settings/", views.settings_page, name="settings"),
    path("settings/locations/", views.location_add, name="location_add"),
    path("settings/loyalty/", views.wallet_rules, name="wallet_rules"),
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
]
