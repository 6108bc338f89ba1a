"""URLs of the provider callbacks, reached without a login (included by wateja.web.urls, so
named "web:hook_…")."""

from django.urls import path

from wateja.web.hooks import telegram, viber, views, whatsapp

urlpatterns = [
    path("hooks/<str:token>/whatsapp/", whatsapp.webhook, name="hook_whatsapp"),
    path("hooks/<str:token>/telegram/", telegram.webhook, name="hook_telegram"),
    path("hooks/<str:token>/viber/", viber.webhook, name="hook_viber"),
    path("hooks/<str:token>/sms/inbound/", views.sms_inbound, name="hook_sms_inbound"),
    path("hooks/<str:token>/sms/delivery/", views.sms_delivery, name="hook_sms_delivery"),
    path("hooks/<str:token>/sms/optout/", views.sms_opt_out, name="hook_sms_optout"),
    path("hooks/<str:token>/ussd/", views.ussd, name="hook_ussd"),
    path("hooks/<str:token>/shop/", views.shop_webhook, name="hook_shop"),
    path(
        "hooks/<str:token>/b2c/<str:secret>/result/", views.b2c_result_hook, name="hook_b2c_result"
    ),
    path(
        "hooks/<str:token>/b2c/<str:secret>/timeout/",
        views.b2c_timeout_hook,
        name="hook_b2c_timeout",
    ),
    path(
        "hooks/<str:token>/c2b/<str:secret>/validate/", views.c2b_validate, name="hook_c2b_validate"
    ),
    path("hooks/<str:token>/c2b/<str:secret>/confirm/", views.c2b_confirm, name="hook_c2b_confirm"),
]
