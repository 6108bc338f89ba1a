"""URLs of the staff screens."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from wateja.web import (
    views,
    views_checkout,
    views_customers,
    views_dashboard,
    views_messaging,
    views_rewards,
    views_wallet,
)

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
    path("customers/", views_customers.customer_list, name="customers"),
    path("customers/new/", views_customers.customer_new, name="customer_new"),
    path("customers/tasks/", views_customers.tasks, name="tasks"),
    path("customers/segments/", views_customers.segments, name="segments"),
    path(
        "customers/segments/<int:segment_id>/",
        views_customers.segment_detail,
        name="segment_detail",
    ),
    path("customers/duplicates/", views_customers.duplicates, name="duplicates"),
    path("customers/merge/", views_customers.merge, name="merge"),
    path("customers/<int:customer_id>/", views_customers.customer_detail, name="customer_detail"),
    path("customers/<int:customer_id>/edit/", views_customers.customer_edit, name="customer_edit"),
    path(
        "customers/<int:customer_id>/interactions/",
        views_customers.interaction_new,
        name="interaction_new",
    ),
    path(
        "customers/<int:customer_id>/consents/",
        views_customers.consent_change,
        name="consent_change",
    ),
    path("customers/<int:customer_id>/card/", views_customers.card_reissue, name="card_reissue"),
    path(
        "customers/<int:customer_id>/export.json",
        views_customers.customer_export_json,
        name="customer_export_json",
    ),
    path(
        "customers/<int:customer_id>/erase/",
        views_customers.customer_erase_view,
        name="customer_erase",
    ),
    path("tasks/<int:interaction_id>/status/", views_customers.task_status, name="task_status"),
    path("join/<slug:slug>/", views_customers.join, name="join"),
    path(
        "customers/<int:customer_id>/wallet/adjust/",
        views_wallet.adjust,
        name="wallet_adjust",
    ),
    path("my/<str:token>/", views_wallet.my_card, name="my_card"),
    path("customers/<int:customer_id>/wallet/donate/", views_wallet.donate, name="wallet_donate"),
    path("checkout/", views_checkout.pos, name="checkout"),
    path("checkout/evaluate/", views_checkout.pos_evaluate, name="pos_evaluate"),
    path("checkout/complete/", views_checkout.pos_complete, name="pos_complete"),
    path("orders/<int:order_id>/receipt/", views_checkout.receipt, name="receipt"),
    path(
        "orders/<int:order_id>/receipt/send/",
        views_checkout.receipt_send_view,
        name="receipt_send",
    ),
    path("rewards/", views_rewards.rewards, name="rewards"),
    path("rewards/new/", views_rewards.offer_new, name="offer_new"),
    path("rewards/<int:promotion_id>/", views_rewards.offer_detail, name="offer_detail"),
    path("rewards/<int:promotion_id>/status/", views_rewards.offer_status, name="offer_status"),
    path("rewards/<int:promotion_id>/codes/", views_rewards.offer_codes, name="offer_codes"),
    path("messages/", views_messaging.messages_home, name="messages"),
    path("reports/", views_dashboard.dashboard, name="reports"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/locations/", views.location_add, name="location_add"),
    path("settings/loyalty/", views.wallet_rules, name="wallet_rules"),
    path("settings/api-keys/", views.apikey_add, name="apikey_add"),
    path("settings/api-keys/<int:key_id>/revoke/", views.apikey_remove, name="apikey_revoke"),
    path("business/switch/", views.switch_business, name="switch_business"),
    path("", include("wateja.web.urls_print")),
    path("", include("wateja.web.urls_imports")),
    path("", include("wateja.web.urls_hooks")),
    path("", include("wateja.web.urls_messaging")),
    path("", include("wateja.web.urls_dashboard")),
]
