"""URLs of the webhook screens (included by wateja.web.urls, so named "web:webhook…")."""

from django.urls import path

from wateja.web.webhooks import views

urlpatterns = [
    path("settings/webhooks/", views.endpoints, name="webhooks"),
    path("settings/webhooks/<int:endpoint_id>/", views.endpoint_detail, name="webhook"),
    path("settings/webhooks/<int:endpoint_id>/test/", views.send_test, name="webhook_test"),
    path("settings/webhooks/<int:endpoint_id>/rotate/", views.rotate, name="webhook_rotate"),
    path("settings/webhooks/<int:endpoint_id>/delete/", views.delete, name="webhook_delete"),
    path(
        "settings/webhooks/deliveries/<int:delivery_id>/replay/",
        views.replay,
        name="webhook_replay",
    ),
]
