"""URLs of the contact handover, thank-you cards and customer of the month (included by
wateja.web.urls, so named "web:…")."""

from django.urls import path

from wateja.web.customers import handover_views

urlpatterns = [
    path("handover/", handover_views.contacts, name="handover"),
    path("handover/contact.vcf", handover_views.contacts_vcf, name="handover_vcf"),
    path("handover/business-card.pdf", handover_views.business_card, name="business_card"),
    path(
        "customers/<int:customer_id>/thank-you/",
        handover_views.customer_thank_you,
        name="customer_thank_you",
    ),
    path(
        "customers/segments/<int:segment_id>/thank-you/",
        handover_views.segment_thank_you,
        name="segment_thank_you",
    ),
    path(
        "customers/<int:customer_id>/customer-of-the-month.png",
        handover_views.customer_of_month,
        name="customer_of_month",
    ),
]
