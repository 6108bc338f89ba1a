"""URLs of the analytics dashboard (included by wateja.web.urls, so named "web:…")."""

from django.urls import path

from wateja.web.reports import views

urlpatterns = [
    path("reports/", views.dashboard, name="reports"),
    path("reports/figures/", views.dashboard_figures, name="report_figures"),
    path("reports/monthly.pdf", views.monthly_pdf, name="report_pdf"),
    path("reports/export/<slug:table>.<slug:fmt>", views.export, name="report_export"),
]
