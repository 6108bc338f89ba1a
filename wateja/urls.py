"""Root URLs: the API, the admin, language switching and the staff screens."""

from functools import partial

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language
from ninja.openapi.views import openapi_view

from wateja.api.app import api
from wateja.web.shell.signin_views import AdminSignInView

urlpatterns = [
    path("api/v1/", api.urls),
    path("api/docs", partial(openapi_view, api=api), name="api-docs"),
    # the admin signs in through the screens' steps: throttled, then the second step
    path("admin/login/", AdminSignInView.as_view(), name="admin_login"),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    # browsers ask for /favicon.ico before they read a page's icon link
    path("favicon.ico", RedirectView.as_view(url=static("wateja/favicon.svg"), permanent=True)),
    path("", include("wateja.web.urls")),
]
