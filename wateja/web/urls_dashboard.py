"""URLs of the analytics dashboard (included by wateja.web.urls, so named "web:…"); the
dashboard itself is "web:reports" in wateja.web.urls."""

from django.urls import path

from wateja.web import views_dashboard as views

urlpatterns = [
    path("reports/monthly.pdf", views.monthly_pdf, name="report_pdf"),
    path("reports/export/<slug:table>.<slug:fmt>", views.export, name="report_export"),
]
