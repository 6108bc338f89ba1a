"""Render and enqueue an SMS campaign to N customers on PostgreSQL, beside a COPY of the
same number of ready-made rows.

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/messaging.py --customers 100000

Creates its own database (wateja_bench_msg_<pid>), migrates it and loads N customers with
cards, SMS consent (90 %) and a language each (sw/en; with --armenian a quarter write
Armenian, so UCS-2), then in a fresh process (so its peak memory is the enqueue's own):
  (a) the baseline: COPY of N pre-rendered message rows into a bare table;
  (b) `campaign_launch`: the audience streamed from the database, consent, contact and
      frequency cap checked, variant and holdout drawn, every message rendered in the
      customer's language with the card number and a tracked link, SMS prepared and counted,
      rows written in batches;
in `--rounds` (3) interleaved rounds, and prints messages/s of both (medians), the median of the
per-round ratios, the target (≥ 2,000 messages/s) and the peak RSS. The baseline writes rows
already rendered into a table with no index, consent, cap or template: what no enqueue can
beat; it does not read customers or render anything.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def django_setup(url: str) -> None:
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="wateja.settings",
        WATEJA_DATA_DIR=os.environ.get("WATEJA_BENCH_DATA", "/tmp/wateja-bench-msg"),
    )
    os.environ.pop("WATEJA_HUEY_IMMEDIATE", None)
    import django

    django.setup()


def load(url: str, customers: int, armenian: bool) -> None:
    """N customers with cards and consents, written with bulk inserts (setup, not measured)."""
    django_setup(url)
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from wateja.core.cards import new_card_number
    from wateja.customers.models import Card, Consent, Customer
    from wateja.messaging.composing import template_save
    from wateja.tenants.services import business_create

    business = business_create(
        name="Kahawa Bench", country="KE", currency="KES",
        timezone_name="Africa/Nairobi", default_language="sw",
    )  # fmt: skip
    from wateja.messaging.config import messaging_settings

    row = messaging_settings(business)  # the campaign's tracked link goes to the café's site
    row.link_domains = "kahawa.example"
    row.save(update_fields=["link_domains"])
    now = timezone.now()
    batch = 5000
    for start in range(0, customers, batch):
        rows = []
        for n in range(start, min(customers, start + batch)):
            language = "hy" if armenian and n % 4 == 0 else ("sw" if n % 2 else "en")
            rows.append(
                Customer(
                    business=business,
                    name=f"Amina Wanjiru {n}",
                    phone=f"+2547{n:08d}",
                    language=language,
                    name_key=f"amina wanjiru {n}",
                )
            )
        made = Customer.objects.bulk_create(rows)
        Card.objects.bulk_create(
            Card(business=business, customer=c, number=new_card_number()) for c in made
        )
        Consent.objects.bulk_create(
            Consent(
                business=business,
                customer=c,
                channel="sms",
                granted=True,
                text="bench",
                source="import",
                recorded_at=now,
            )
            for i, c in enumerate(made)
            if (start + i) % 10
        )
    texts = {
        "sw": {"body": "Habari {name}! Ijumaa Nyeusi kwa {shop}: {offer}. Kadi {card}. {link}"},
        "en": {"body": "Hi {name}! Black Friday at {shop}: {offer}. Card {card}. {link}"},
        "hy": {"body": "Բարև {name}։ Սև ուրբաթ {shop}-ում՝ {offer}։ Քարտ {card}։ {link}"},
    }
    template_save(
        business=business, name="Black Friday", channel="sms",
        variants=[{"label": "A", "texts": texts}, {"label": "B", "texts": texts}],
    )  # fmt: skip


def send(url: str, rounds: int) -> None:
    """Runs in its own process: `rounds` interleaved rounds of the baseline COPY then the
    campaign (its messages deleted again before the next round, so the frequency cap and the
    outbox's size are the same each time); prints each round and the medians."""
    django_setup(url)
    import statistics

    import psycopg
    from django.db import connection
    from django.utils import timezone

    from wateja.customers.models import Customer
    from wateja.messaging.campaigns import campaign_launch, campaign_save
    from wateja.messaging.models import Message, Template
    from wateja.tenants.models import Business

    business = Business.objects.get()
    customers = Customer.objects.filter(business=business).count()
    body = "Habari Amina Wanjiru! Ijumaa Nyeusi kwa Kahawa Bench: 2 kwa 1. Kadi 123456789012."
    template = Template.objects.get(business=business)
    memory_before = peak_mib()
    copy_rates, rates, ratios = [], [], []
    for number in range(1, rounds + 1):
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE bench_outbox (customer_id bigint, to_address text, language text, "
                "body text, segments int, cost_minor bigint)"
            )
            started = time.perf_counter()
            with conn.cursor() as cursor, cursor.copy("COPY bench_outbox FROM STDIN") as copy:
                for start in range(0, customers, 10_000):  # streamed, like the campaign
                    copy.write(
                        "".join(
                            f"{n}\t+2547{n:08d}\tsw\t{body} http://localhost:8000/r/{n:024d}/"
                            "\t1\t80\n"
                            for n in range(start, min(customers, start + 10_000))
                        )
                    )
            copy_seconds = time.perf_counter() - started
            conn.execute("DROP TABLE bench_outbox")

        campaign = campaign_save(
            business=business, name=f"Black Friday {number}", channel="sms",
            sms_template_id=template.pk, offer="2 kwa 1 / 2 for 1",
            link_url="https://kahawa.example/menu", holdout_percent=5,
        )  # fmt: skip
        started = time.perf_counter()
        campaign = campaign_launch(campaign=campaign, now=timezone.now())
        seconds = time.perf_counter() - started
        written = Message.objects.filter(campaign=campaign).count()
        copy_rates.append(customers / copy_seconds)
        rates.append(written / seconds)
        ratios.append(rates[-1] / copy_rates[-1])
        print(
            f"round {number}: COPY {copy_rates[-1]:>10,.0f} rows/s; campaign {rates[-1]:>8,.0f} "
            f"messages/s ({written:,} written, {dict(campaign.counts)}); ratio {ratios[-1]:.3f}",
            flush=True,
        )
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM messaging_message WHERE campaign_id = %s", [campaign.pk])
    rate, copy_rate = statistics.median(rates), statistics.median(copy_rates)
    print(f"customers: {customers:,}; medians of {rounds} interleaved rounds:")
    print(f"COPY of ready rows (baseline): {copy_rate:>10,.0f} rows/s")
    print(f"campaign render + enqueue:     {rate:>10,.0f} messages/s")
    print(f"peak memory (RSS): {peak_mib():.0f} MiB (after Django setup: {memory_before:.0f} MiB)")
    verdict = "met" if rate >= 2000 else "MISSED"
    print(
        f"enqueue ratio vs COPY: {statistics.median(ratios):.3f} (median of the rounds); "
        f"target ≥ 2,000 messages/s: {verdict}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--armenian", action="store_true", help="a quarter write Armenian")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--phase", choices=["all", "send"], default="all", help=argparse.SUPPRESS)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL (or --database-url) to a PostgreSQL server.", file=sys.stderr)
        return 2
    if args.phase == "send":
        send(args.database_url, args.rounds)
        return 0

    import psycopg

    name = f"wateja_bench_msg_{os.getpid()}"
    admin_url = with_database(args.database_url, "postgres")
    url = with_database(args.database_url, name)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        started = time.perf_counter()
        loader = [sys.executable, __file__, "--database-url", url, "--phase", "send"]
        loader += ["--rounds", str(args.rounds)]
        load(url, args.customers, args.armenian)
        from django.db import connections

        connections.close_all()
        print(f"loaded {args.customers:,} customers in {time.perf_counter() - started:.1f}s")
        return subprocess.call(loader)
    finally:
        if not args.keep:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
