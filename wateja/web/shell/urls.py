"""URLs of the shell (included by wateja.web.urls, so named "web:…"): home, login, logout,
the business switcher and switching cashiers at a shared till by PIN."""

from django.contrib.auth import views as auth_views
from django.urls import path

from wateja.tenants.signin import ThrottledAuthenticationForm
from wateja.web.shell import views

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/shell/login.html",
            redirect_authenticated_user=True,
            authentication_form=ThrottledAuthenticationForm,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("business/switch/", views.switch_business, name="switch_business"),
    path("till/switch/", views.till_switch_view, name="till_switch"),
]
