"""Import N customers from a CSV on PostgreSQL, beside its write ceiling and a plain COPY.

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/import_customers.py --rows 100000 --rounds 3
    .venv/bin/python benchmarks/import_customers.py --rows 1000000 --check-phones

Creates its own database (wateja_bench_<pid>), migrates it, writes a CSV of unique, realistic
Kenyan customers (mixed phone formats, some e-mails, cities and birthdays, Swahili headers),
then runs `--rounds` interleaved rounds, each with a new business:
  (a) the Wateja import of the file: upload (hash + store), preview (the dry run: every row
      validated, duplicates checked) and the import itself (`import_run`: duplicates in the
      base checked again, customers + cards written in batches, one transaction each);
  (b) the ceiling: the rows the import just wrote, already clean, written again by the server
      alone (`INSERT … SELECT`, one transaction) into copies of the customer and card tables
      with the same columns, indexes, unique constraints and foreign keys, holding as many
      rows as the real tables held before the import (the copies grow round by round as the
      real ones do): what no import into these tables can beat;
  (c) COPY of the file into a bare five-column text table (no index, no key): the fastest
      PostgreSQL takes rows at all;
and prints rows/s of each (median of the rounds), the import's ratio to the ceiling (target
≥ 0.3), preview + import end to end, and the peak memory of the process. The database is
dropped at the end (--keep to look at it). `--check-phones` only reads every phone number of
the file through `normalize_phone` and phonenumbers and fails on any difference (no database).
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import os
import pstats
import random
import resource
import statistics
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
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--keep", action="store_true", help="keep the database and the files")
    parser.add_argument("--profile", action="store_true", help="print where the import spends")
    parser.add_argument(
        "--check-phones",
        action="store_true",
        help="compare normalize_phone with phonenumbers on every number of the file, then stop",
    )
    args = parser.parse_args()
    if args.check_phones:
        return check_phones(args.rows)
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


def check_phones(rows: int) -> int:
    """Every phone number of the benchmark file through the fast path (normalize_phone) and
    through phonenumbers alone: the same E.164 text or the same refusal, on every one."""
    import phonenumbers

    from wateja.core.contacts import InvalidPhone, normalize_phone

    def reference(text: str) -> str | None:
        cleaned = text.strip()
        cleaned = "+" + cleaned[2:] if cleaned.startswith("00") else cleaned
        try:
            parsed = phonenumbers.parse(cleaned, "KE")
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_valid_number(parsed):
            return None
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

    work = Path(tempfile.mkdtemp(prefix="wateja-phones-"))
    source = work / "customers.csv"
    try:
        write_csv(source, rows)
        checked = differences = 0
        fast_seconds = slow_seconds = 0.0
        with source.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            for record in reader:
                text = record[1]
                started = time.perf_counter()
                try:
                    ours: str | None = normalize_phone(text, "KE")
                except InvalidPhone:
                    ours = None
                middle = time.perf_counter()
                theirs = reference(text)
                slow_seconds += time.perf_counter() - middle
                fast_seconds += middle - started
                checked += 1
                if ours != theirs:
                    differences += 1
                    if differences <= 20:
                        print(f"DIFFERENT {text!r}: ours {ours!r}, phonenumbers {theirs!r}")
    finally:
        source.unlink(missing_ok=True)
        work.rmdir()
    print(
        f"phones checked: {checked:,}  different: {differences}  "
        f"normalize_phone {fast_seconds / checked * 1e6:.1f} µs, "
        f"phonenumbers {slow_seconds / checked * 1e6:.1f} µs "
        f"(ratio {slow_seconds / fast_seconds:.1f})"
    )
    return 1 if differences else 0


def median(values: list[float]) -> float:
    return statistics.median(values)


def run(args: argparse.Namespace, url: str, work: Path) -> int:
    rows = args.rows
    source = work / "customers.csv"
    started = time.perf_counter()
    write_csv(source, rows)
    size_mib = source.stat().st_size / 1024 / 1024
    took = time.perf_counter() - started
    print(f"rows: {rows:,}  file: {size_mib:.1f} MiB  generated in {took:.1f}s")
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")

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
    make_ceiling_tables(url)
    memory_before = peak_mib()
    figures: dict[str, list[float]] = {
        k: [] for k in ("upload", "preview", "import", "ceiling", "copy")
    }
    for round_number in range(1, args.rounds + 1):
        seconds = import_round(args, source, round_number)
        business_id = int(seconds.pop("business_id"))
        for key, value in seconds.items():
            figures[key].append(value)
        figures["ceiling"].append(write_ceiling(url, business_id))
        figures["copy"].append(copy_baseline(url, source, rows))
        print(
            f"round {round_number}: preview {rows / seconds['preview']:,.0f} rows/s, "
            f"import {rows / seconds['import']:,.0f} rows/s, "
            f"ceiling {rows / figures['ceiling'][-1]:,.0f} rows/s, "
            f"COPY {rows / figures['copy'][-1]:,.0f} rows/s, "
            f"import/ceiling {figures['ceiling'][-1] / seconds['import']:.3f}"
        )

    def rate(key: str) -> float:
        return rows / median(figures[key])

    both = [p + i for p, i in zip(figures["preview"], figures["import"], strict=True)]
    ratios = [c / i for c, i in zip(figures["ceiling"], figures["import"], strict=True)]
    end_to_end = [c / b for c, b in zip(figures["ceiling"], both, strict=True)]
    print(f"median of {args.rounds} interleaved rounds:")
    for label, key in (
        ("COPY into a bare table:  ", "copy"),
        ("preview (dry run):       ", "preview"),
        ("import (customers+cards):", "import"),
        ("ceiling (writes only):   ", "ceiling"),
    ):
        print(f"{label} {rows / rate(key):8.2f}s  {rate(key):>12,.0f} rows/s")
    print(f"preview + import:         {median(both):8.2f}s  {rows / median(both):>12,.0f} rows/s")
    print(f"upload (hash + store):    {median(figures['upload']):8.2f}s")
    print(f"peak memory (RSS):        {peak_mib():8.0f} MiB (before: {memory_before:.0f} MiB)")
    print(f"ceiling ratio vs COPY: {rate('ceiling') / rate('copy'):.3f}")
    print(f"preview + import ratio vs ceiling: {median(end_to_end):.3f}")
    print(f"import ratio vs ceiling: {median(ratios):.3f} (target ≥ 0.3)")
    return 0


def import_round(args: argparse.Namespace, source: Path, round_number: int) -> dict[str, float]:
    """Upload, preview and import the file for a new business: seconds of each."""
    from wateja.customers.importing import import_preview, import_run, import_upload
    from wateja.customers.models import Card, Customer
    from wateja.tenants.services import business_create

    rows = args.rows
    business = business_create(
        name=f"Bench Duka {round_number}",
        country="KE",
        currency="KES",
        timezone_name="Africa/Nairobi",
        default_language="sw",
    )
    started = time.perf_counter()
    with source.open("rb") as handle:
        job, _created = import_upload(business=business, file_name=source.name, fileobj=handle)
    upload_seconds = time.perf_counter() - started
    started = time.perf_counter()
    preview = import_preview(job=job)
    preview_seconds = time.perf_counter() - started
    assert preview["valid_rows"] == rows, preview
    profiler = cProfile.Profile() if args.profile and round_number == 1 else None
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
    return {
        "upload": upload_seconds,
        "preview": preview_seconds,
        "import": import_seconds,
        "business_id": business.pk,
    }


def copy_baseline(url: str, source: Path, rows: int) -> float:
    """Seconds to COPY the file into a bare five-column text table: no index, no key, no
    constraint, no validation; the fastest PostgreSQL takes these rows at all."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE bench_copy (name text, phone text, email text, city text, birthday text)"
        )
        started = time.perf_counter()
        statement = "COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)"
        with conn.cursor() as cursor, cursor.copy(statement) as copy, source.open("rb") as file:
            while chunk := file.read(1 << 20):
                copy.write(chunk)
        seconds = time.perf_counter() - started
        copied = conn.execute("SELECT count(*) FROM bench_copy").fetchone()[0]  # type: ignore[index]
        conn.execute("DROP TABLE bench_copy")
    assert copied == rows, (copied, rows)
    return seconds


CEILING_TABLES = ("customers_customer", "customers_card")


def make_ceiling_tables(url: str) -> None:
    """Copies of the customer and card tables with the same columns, defaults, indexes
    (partial and unique ones too) and foreign keys (a card's customer points at the copy of
    the customers; the rest at the same tables the real rows point at)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for table in CEILING_TABLES:
            conn.execute(f"CREATE TABLE ceiling_{table} (LIKE {table} INCLUDING ALL)")
        for table in CEILING_TABLES:
            keys = conn.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f'",
                [table],
            ).fetchall()
            for name, definition in keys:
                for target in CEILING_TABLES:
                    definition = definition.replace(
                        f"REFERENCES {target}(", f"REFERENCES ceiling_{target}("
                    )
                conn.execute(f'ALTER TABLE ceiling_{table} ADD CONSTRAINT "c_{name}" {definition}')


def write_ceiling(url: str, business_id: int) -> float:
    """Seconds to write one business's imported rows again, already clean, into the copies
    of the tables (see make_ceiling_tables), inside the server: no client, no parsing, no
    validation, no duplicate checks, one transaction (its foreign keys checked at commit).
    No import into these tables can be faster than this, whatever it does before the write."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
        started = time.perf_counter()
        with conn.transaction():
            for table in CEILING_TABLES:
                conn.execute(
                    f"INSERT INTO ceiling_{table} SELECT * FROM {table} WHERE business_id = %s",
                    [business_id],
                )
        return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
