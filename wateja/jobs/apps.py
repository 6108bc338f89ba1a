"""Django app configuration for background jobs (so Huey discovers wateja.jobs.tasks)."""

from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "wateja.jobs"
    label = "wateja_jobs"

    def ready(self) -> None:
        from wateja.jobs import tasks  # noqa: F401 - registers the background runners
        from wateja.jobs.simulation_tasks import offer_saved
        from wateja.promotions import hooks

        # a saved offer has its cost estimate recomputed in the background
        hooks.register(saved=offer_saved)
