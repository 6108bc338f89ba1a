"""URLs of the till (included by wateja.web.urls, so named "web:…"): the cashier screen and
the receipt."""

from django.urls import path

from wateja.web.till import views

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
]
