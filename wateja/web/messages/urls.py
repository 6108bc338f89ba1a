"""URLs of the messaging screens (included by wateja.web.urls, so named "web:…")."""

from django.urls import path

from wateja.web.messages import views

urlpatterns = [
    path("messages/", views.messages_home, name="messages"),
    path("messages/templates/new/", views.template_new, name="template_new"),
    path("messages/templates/<int:template_id>/", views.template_edit, name="template_edit"),
    path("messages/templates/preview/", views.template_preview, name="template_preview"),
    path("messages/sms-count/", views.sms_count, name="sms_count"),
    path("messages/campaigns/new/", views.campaign_new, name="campaign_new"),
    path("messages/campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign_detail"),
    path(
        "messages/campaigns/<int:campaign_id>/preview/",
        views.campaign_preview_part,
        name="campaign_preview",
    ),
    path("messages/campaigns/<int:campaign_id>/send/", views.campaign_send, name="campaign_send"),
    path(
        "messages/campaigns/<int:campaign_id>/cancel/",
        views.campaign_stop,
        name="campaign_cancel",
    ),
    path("messages/automations/<slug:kind>/", views.automation_edit, name="automation_edit"),
    path(
        "messages/automations/<slug:kind>/toggle/",
        views.automation_toggle,
        name="automation_toggle",
    ),
    path("messages/settings/", views.messaging_settings_page, name="messaging_settings"),
    path("messages/settings/hooks/rotate/", views.hooks_rotate, name="hooks_rotate"),
    path("messages/settings/chat/<slug:app>/connect/", views.chat_connect, name="chat_connect"),
]
