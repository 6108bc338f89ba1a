"""URLs of the settings screen (included by wateja.web.urls, so named "web:…")."""

from django.urls import path

from wateja.web.settings import views

urlpatterns = [
    path("settings/", views.settings_page, name="settings"),
    path("settings/locations/", views.location_add, name="location_add"),
    path("settings/loyalty/", views.wallet_rules, name="wallet_rules"),
    path("settings/api-keys/", views.apikey_add, name="apikey_add"),
    path("settings/api-keys/<int:key_id>/revoke/", views.apikey_remove, name="apikey_revoke"),
]
