"""The URLs of the screens: each screen family's package has its own urls, included here, so
every page keeps one name in the "web" namespace (`reverse("web:…")`)."""

from django.urls import include, path

app_name = "web"

urlpatterns = [
    path("", include("wateja.web.shell.urls")),
    path("", include("wateja.web.customers.urls")),
    path("", include("wateja.web.customers.handover_urls")),
    path("", include("wateja.web.till.urls")),
    path("", include("wateja.web.catalog.urls")),
    path("", include("wateja.web.rewards.urls")),
    path("", include("wateja.web.challenges.urls")),
    path("", include("wateja.web.messages.urls")),
    path("", include("wateja.web.feedback.urls")),
    path("", include("wateja.web.reports.urls")),
    path("", include("wateja.web.jobs.urls")),
    path("", include("wateja.web.payments.urls")),
    path("", include("wateja.web.webhooks.urls")),
    path("", include("wateja.web.shops.urls")),
    path("", include("wateja.web.settings.urls")),
    path("", include("wateja.web.settings.keyword_urls")),
    path("", include("wateja.web.events.urls")),
    path("", include("wateja.web.public.urls")),
    path("", include("wateja.web.hooks.urls")),
]
