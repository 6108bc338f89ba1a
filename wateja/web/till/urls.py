"""URLs of the till (included by wateja.web.urls, so named "web:…"): the cashier screen, the
receipt, the order page with its refunds and voids, the till's settings and the end of day."""

from django.urls import path

from wateja.web.till import order_views, shift_views, views

urlpatterns = [
    path("checkout/", views.pos, name="checkout"),
    path("checkout/evaluate/", views.pos_evaluate, name="pos_evaluate"),
    path("checkout/complete/", views.pos_complete, name="pos_complete"),
    path("orders/<int:order_id>/receipt/", views.receipt, name="receipt"),
    path(
        "orders/<int:order_id>/receipt/send/",
        views.receipt_send_view,
        name="receipt_send",
    ),
    path(
        "orders/<int:order_id>/receipt/status/<str:channel>/",
        order_views.receipt_message_status,
        name="receipt_status",
    ),
    path("orders/<int:order_id>/", order_views.order_detail, name="order"),
    path("orders/<int:order_id>/refund/", order_views.order_refund_view, name="order_refund"),
    path("orders/<int:order_id>/void/", order_views.order_void_view, name="order_void"),
    path("till/settings/", order_views.till_settings_view, name="till_settings"),
    path("till/shift/", shift_views.shift, name="shift"),
]
