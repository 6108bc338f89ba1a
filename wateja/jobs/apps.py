"""Django app configuration for background jobs (so Huey discovers wateja.jobs.tasks)."""

from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "wateja.jobs"
    label = "wateja_jobs"
