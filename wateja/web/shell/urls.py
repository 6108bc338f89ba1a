"""URLs of the shell (included by wateja.web.urls, so named "web:…"): home, signing in (the
password, then the code or setting up the app), logout, the business switcher and switching
cashiers at a shared till by PIN."""

from django.contrib.auth import views as auth_views
from django.urls import path

from wateja.web.shell import signin_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", signin_views.SignInView.as_view(), name="login"),
    path("login/code/", signin_views.login_code, name="login_code"),
    path("login/set-up/", signin_views.login_enrol, name="login_enrol"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("business/switch/", views.switch_business, name="switch_business"),
    path("till/switch/", views.till_switch_view, name="till_switch"),
]
