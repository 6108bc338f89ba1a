"""URLs of the background jobs screens (included by wateja.web.urls, so named "web:…")."""

from django.urls import path

from wateja.web.jobs import views

urlpatterns = [
    path("jobs/", views.job_list, name="jobs"),
    path("jobs/<int:job_id>/", views.job_detail, name="job_detail"),
    path("jobs/<int:job_id>/status/", views.job_status, name="job_status"),
    path("jobs/<int:job_id>/result/", views.job_result, name="job_result"),
    path("jobs/export/customers/", views.export_start, name="jobs_export"),
]
