"""URLs reached without a login: provider callbacks and the links inside messages."""

from django.urls import path

from wateja.web import views_hooks

urlpatterns = [
    path("hooks/<str:token>/sms/inbound/", views_hooks.sms_inbound, name="hook_sms_inbound"),
    path("hooks/<str:token>/sms/delivery/", views_hooks.sms_delivery, name="hook_sms_delivery"),
    path("hooks/<str:token>/sms/optout/", views_hooks.sms_opt_out, name="hook_sms_optout"),
    path("hooks/<str:token>/ussd/", views_hooks.ussd, name="hook_ussd"),
    path("u/<str:token>/", views_hooks.unsubscribe_page, name="unsubscribe"),
    path("r/<str:token>/", views_hooks.link_redirect, name="link"),
    path("f/<str:token>/", views_hooks.feedback_page, name="feedback"),
]
