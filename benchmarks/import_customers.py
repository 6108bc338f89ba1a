"""Import N customers from a CSV on PostgreSQL, beside a plain COPY of the same file.

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/import_customers.py --rows 1000000

Creates its own database (wateja_bench_<pid>), migrates it, writes a CSV of unique, realistic
Kenyan customers (mixed phone formats, some e-mails, cities and birthdays, Swahili headers),
then measures in the same run:
  (a) COPY of the file into a bare table (the baseline: the fastest PostgreSQL can take it);
  (b) the Wateja import of the same file: upload (hash + store), preview (dry run) and the
      import itself (validation, duplicate checks, customers + cards in batches);
  (c) the ceiling: the imported rows, already clean, written again by the server alone into
      tables with the same columns and indexes (what no import into them can beat);
and prints rows/s of each, the ratios to COPY, and the peak memory of the process. The database is
dropped at the end (--keep to look at it).
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import os
import pstats
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST = [
    *("Amina", "Baraka", "Chausiku", "Dalila", "Eliud", "Faraji", "Gathoni", "Halima"),
    *("Imani", "Jabari", "Kamau", "Wanjiru", "Achieng", "Otieno", "Njeri", "Mwangi"),
    *("Akinyi", "Kipchoge", "Wambui", "Mutua", "Nekesa", "Juma", "Zawadi", "Neema"),
    *("Makena", "Kibet", "Atieno", "Wekesa", "Moraa", "Kiprono", "Nyokabi", "Omondi"),
    *("Chebet", "Waweru", "Auma", "Kilonzo"),
]
LAST = [
    *("Wanjiru", "Otieno", "Mwangi", "Kamau", "Ochieng", "Njoroge", "Kiptoo", "Mutiso"),
    *("Wafula", "Omondi", "Kariuki", "Onyango", "Maina", "Kimani", "Chege", "Nyambura"),
    *("Odhiambo", "Wekesa", "Barasa", "Kilonzo", "Mohamed", "Hassan", "Ali", "Abdi", "Korir"),
]
CITIES = [
    *("Nairobi", "Mombasa", "Kisumu", "Nakuru", "Eldoret", "Thika", "Malindi", "Kitale"),
    *("Garissa", "Nyeri", "Machakos"),
]
# mobile prefixes of Safaricom, Airtel and Telkom Kenya (07xx and the newer 01xx ranges)
PREFIXES = (
    [f"7{n:02d}" for n in range(30)]
    + [f"7{n:02d}" for n in range(40, 49)]
    + [f"7{n:02d}" for n in (57, 58, 59, 68, 69, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99)]
    + [f"7{n:02d}" for n in range(30, 40)]
    + ["110", "111", "112", "113", "114", "115", "100", "101", "102"]
)


def phone_text(prefix: str, subscriber: int, style: int) -> str:
    digits = f"{prefix}{subscriber:06d}"
    if style == 0:
        return f"0{digits[:3]} {digits[3:6]} {digits[6:]}"
    if style == 1:
        return f"+254{digits}"
    if style == 2:
        return f"0{digits}"
    return f"254 {digits[:3]} {digits[3:]}"


def write_csv(path: Path, rows: int, seed: int = 7) -> None:
    """`rows` customers with unique phone numbers (and unique e-mails where present)."""
    rng = random.Random(seed)
    per_prefix = rows // len(PREFIXES) + 1
    subscribers = {p: iter(rng.sample(range(1_000_000), per_prefix)) for p in PREFIXES}
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Jina", "Simu", "Barua pepe", "Mji", "Tarehe ya kuzaliwa"])
        for n in range(rows):
            prefix = PREFIXES[n % len(PREFIXES)]
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"{first}.{last}.{n}@example.co.ke".lower() if rng.random() < 0.4 else ""
            birthday = ""
            if rng.random() < 0.5:
                birthday = (
                    f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(1950, 2005)}"
                )
            writer.writerow(
                [
                    f"{first} {last}",
                    phone_text(prefix, next(subscribers[prefix]), n % 4),
                    email,
                    rng.choice(CITIES),
                    birthday,
                ]
            )


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--keep", action="store_true", help="keep the database and the files")
    parser.add_argument("--profile", action="store_true", help="print where the import spends")
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL (or --database-url) to a PostgreSQL server.", file=sys.stderr)
        return 2

    import psycopg

    name = f"wateja_bench_{os.getpid()}"
    admin_url = with_database(args.database_url, "postgres")
    work = Path(tempfile.mkdtemp(prefix="wateja-bench-"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        return run(args, with_database(args.database_url, name), work)
    finally:
        from django.conf import settings

        if settings.configured:
            from django.db import connections

            connections.close_all()
        if not args.keep:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            for path in sorted(work.rglob("*"), reverse=True):
                path.rmdir() if path.is_dir() else path.unlink()
            work.rmdir()
        else:
            print(f"kept database {name} and files in {work}")


def run(args: argparse.Namespace, url: str, work: Path) -> int:
    import psycopg

    rows = args.rows
    source = work / "customers.csv"
    started = time.perf_counter()
    write_csv(source, rows)
    size_mib = source.stat().st_size / 1024 / 1024
    took = time.perf_counter() - started
    print(f"rows: {rows:,}  file: {size_mib:.1f} MiB  generated in {took:.1f}s")

    # (a) the baseline: COPY of the same file into a bare table
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE bench_copy (name text, phone text, email text, city text, birthday text)"
        )
        started = time.perf_counter()
        statement = "COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)"
        with conn.cursor() as cursor, cursor.copy(statement) as copy, source.open("rb") as file:
            while chunk := file.read(1 << 20):
                copy.write(chunk)
        copy_seconds = time.perf_counter() - started
        copied = conn.execute("SELECT count(*) FROM bench_copy").fetchone()[0]  # type: ignore[index]
        conn.execute("DROP TABLE bench_copy")
    assert copied == rows, (copied, rows)

    # (b) the import, through the services, on a freshly migrated database
    os.environ.update(
        DATABASE_URL=url,
        WATEJA_DATA_DIR=str(work / "data"),
        WATEJA_IMPORT_MAX_BYTES=str(max(50 * 1024 * 1024, source.stat().st_size + 1)),
        DJANGO_SETTINGS_MODULE="wateja.settings",
    )
    os.environ.pop("WATEJA_HUEY_IMMEDIATE", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from wateja.customers.importing import import_preview, import_run, import_upload
    from wateja.customers.models import Card, Customer
    from wateja.tenants.services import business_create

    business = business_create(
        name="Bench Duka",
        country="KE",
        currency="KES",
        timezone_name="Africa/Nairobi",
        default_language="sw",
    )
    memory_before = peak_mib()
    started = time.perf_counter()
    with source.open("rb") as handle:
        job, _created = import_upload(business=business, file_name=source.name, fileobj=handle)
    upload_seconds = time.perf_counter() - started
    started = time.perf_counter()
    preview = import_preview(job=job)
    preview_seconds = time.perf_counter() - started
    assert preview["valid_rows"] == rows, preview
    profiler = cProfile.Profile() if args.profile else None
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    job = import_run(job=job, batch_size=args.batch_size)
    import_seconds = time.perf_counter() - started
    if profiler is not None:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    imported = Customer.objects.for_business(business).count()
    cards = Card.objects.for_business(business).count()
    assert imported == cards == job.created_count == rows, (imported, cards, job.created_count)

    ceiling_seconds = write_ceiling(url, business.pk)

    copy_rate = rows / copy_seconds
    import_rate = rows / import_seconds
    ceiling_rate = rows / ceiling_seconds
    print(f"COPY into a bare table:   {copy_seconds:8.2f}s  {copy_rate:>12,.0f} rows/s")
    print(f"upload (hash + store):    {upload_seconds:8.2f}s")
    preview_rate = rows / preview_seconds
    print(f"preview (dry run):        {preview_seconds:8.2f}s  {preview_rate:>12,.0f} rows/s")
    print(f"import (customers+cards): {import_seconds:8.2f}s  {import_rate:>12,.0f} rows/s")
    print(f"ceiling (writes only):    {ceiling_seconds:8.2f}s  {ceiling_rate:>12,.0f} rows/s")
    print(f"peak memory (RSS):        {peak_mib():8.0f} MiB (before: {memory_before:.0f} MiB)")
    print(f"ceiling ratio vs COPY: {ceiling_rate / copy_rate:.3f} (no import can do better)")
    print(f"import ratio vs COPY: {import_rate / copy_rate:.3f} (target ≥ 0.2)")
    return 0


def write_ceiling(url: str, business_id: int) -> float:
    """Seconds to write the import's own result again, already clean, into tables with the
    same columns and indexes as the customers and their cards: INSERT … SELECT inside the
    server (no client, no parsing, no validation, no foreign-key checks). No import into
    these tables can be faster than this, whatever it does before the write."""
    import psycopg

    tables = ("customers_customer", "customers_card")
    with psycopg.connect(url, autocommit=True) as conn:
        for table in tables:
            conn.execute(f"CREATE TABLE ceiling_{table} (LIKE {table} INCLUDING ALL)")
        conn.execute("CHECKPOINT")
        started = time.perf_counter()
        with conn.transaction():
            for table in tables:
                conn.execute(
                    f"INSERT INTO ceiling_{table} SELECT * FROM {table} WHERE business_id = %s",
                    [business_id],
                )
        seconds = time.perf_counter() - started
        for table in tables:
            conn.execute(f"DROP TABLE ceiling_{table}")
    return seconds


if __name__ == "__main__":
    sys.exit(main())
