"""`wateja manage duplicates_rebuild [--business SLUG]`: recompute every active customer's
duplicate keys and the stored likely-duplicate pairs (after an upgrade, or a bulk load that
wrote customers without the services). Pairs marked "not the same person" stay so."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wateja.customers.duplicates import duplicates_rebuild
from wateja.tenants.models import Business


class Command(BaseCommand):
    help = "Recompute the stored likely duplicates of every business (or one)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--business", help="only this business (short name)")

    def handle(self, *args: Any, **options: Any) -> None:
        businesses = Business.objects.order_by("pk")
        if options["business"]:
            businesses = businesses.filter(slug=options["business"])
            if not businesses.exists():
                raise CommandError(f"No business with the short name {options['business']!r}.")
        for business in businesses:
            started = time.perf_counter()
            found = duplicates_rebuild(business)
            self.stdout.write(
                f"{business.slug}: {found['keys']} keys, {found['pairs']} likely duplicate "
                f"pairs ({time.perf_counter() - started:.1f} s)"
            )
