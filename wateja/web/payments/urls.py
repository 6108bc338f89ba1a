"""URLs of the payment screens (included by wateja.web.urls, so named "web:payments…")."""

from django.urls import path

from wateja.web.payments import views

urlpatterns = [
    path("payments/", views.queue, name="payments"),
    path("payments/<int:payment_id>/match/", views.match, name="payment_match"),
    path("payments/<int:payment_id>/set-aside/", views.set_aside, name="payment_set_aside"),
    path("payments/settings/", views.settings_page, name="payment_settings"),
    path("payments/payouts/", views.payouts, name="payouts"),
    path(
        "payments/payouts/<int:payout_id>/approve/",
        views.payout_approve_view,
        name="payout_approve",
    ),
    path(
        "payments/payouts/<int:payout_id>/reject/", views.payout_reject_view, name="payout_reject"
    ),
    path("payments/settings/register/", views.register, name="payment_register"),
    path("payments/settings/rotate/", views.rotate, name="payment_rotate"),
    path("payments/settings/signing/", views.signing_rotate, name="payment_signing_rotate"),
]
