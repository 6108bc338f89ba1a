"""URLs of the spreadsheet screens (included by wateja.web.urls, so named "web:import_…")."""

from django.urls import path

from wateja.web import views_imports

urlpatterns = [
    path("imports/", views_imports.import_list, name="import_list"),
    path("imports/<int:job_id>/", views_imports.import_detail, name="import_detail"),
    path("imports/<int:job_id>/columns/", views_imports.import_mapping, name="import_mapping"),
    path("imports/<int:job_id>/run/", views_imports.import_run, name="import_run"),
    path(
        "imports/<int:job_id>/problems.csv",
        views_imports.import_errors,
        {"fmt": "csv"},
        name="import_errors_csv",
    ),
    path(
        "imports/<int:job_id>/problems.xlsx",
        views_imports.import_errors,
        {"fmt": "xlsx"},
        name="import_errors_xlsx",
    ),
    path("exports/customers/", views_imports.export_customers, name="export_customers"),
    path("exports/partner/", views_imports.export_partner, name="export_partner"),
]
