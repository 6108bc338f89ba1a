"""URLs of the staff screens."""

from django.contrib.auth import views as auth_views
from django.urls import path

from wateja.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("customers/", views.customers, name="customers"),
    path("checkout/", views.checkout, name="checkout"),
    path("rewards/", views.rewards, name="rewards"),
    path("messages/", views.messages_page, name="messages"),
    path("reports/", views.reports, name="reports"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/locations/", views.location_add, name="location_add"),
    path("settings/api-keys/", views.apikey_add, name="apikey_add"),
    path("settings/api-keys/<int:key_id>/revoke/", views.apikey_remove, name="apikey_revoke"),
    path("business/switch/", views.switch_business, name="switch_business"),
]
