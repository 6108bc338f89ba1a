"""What carrying balances over costs an import: N customers imported from an XLSX workbook
whose active sheet is the products, once without balances (the baseline) and once with an
opening points and store credit column (each customer's balance posted as its own audited
ledger operation in the batch's transaction), in turn in --rounds (3) rounds of the same run,
on the database the environment names (SQLite in a temporary data directory by default).

    .venv/bin/python benchmarks/import_opening.py --rows 2000
    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/wateja_bench_opening \\
        .venv/bin/python benchmarks/import_opening.py --rows 2000

Prints rows/s of each import, the ratio, the time to list the workbook's sheets, and the time
to undo the import with balances (every balance reversed, the customers removed).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def workbook(rows: int, offset: int, balances: bool) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    products = book.active
    products.title = "Products"
    for n in range(50):
        products.append([f"Item {n}", 100 + n])
    sheet = book.create_sheet("Customers")
    sheet.append(["Name", "Phone", "Points", "Store credit"] if balances else ["Name", "Phone"])
    for n in range(rows):
        row = [f"Mteja {n}", f"07{(offset + n) % 10**8:08d}"]
        if balances:
            row += [f"{(n * 37) % 5000:,}", f"KES {(n * 13) % 2000},50"]
        sheet.append(row)
    book.active = 0
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wateja-bench-opening-"))
    os.environ.setdefault("WATEJA_DATA_DIR", str(work))
    os.environ["DJANGO_SETTINGS_MODULE"] = "wateja.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.MEDIA_ROOT = str(work / "media")
    call_command("migrate", verbosity=0, interactive=False)
    from wateja.customers.importing import import_preview, import_run, import_undo, import_upload
    from wateja.tenants.services import business_create
    from wateja.wallet.services import ledger_check

    business = business_create(
        name=f"Bench Opening {os.getpid()}",
        country="KE",
        currency="KES",
        timezone_name="Africa/Nairobi",
    )
    timings: dict[str, list[float]] = {}
    jobs = {}
    for number in range(args.rounds):  # without and with balances in turn, every round
        for label, offset, balances in (("plain", 10, False), ("balances", 20, True)):
            data = workbook(args.rows, (offset + 2 * number) * 1_000_000, balances)
            started = time.perf_counter()
            job, _created = import_upload(
                business=business, file_name=f"{label}-{number}.xlsx", fileobj=io.BytesIO(data)
            )
            upload = f"{label} upload (sheets listed)"
            timings.setdefault(upload, []).append(time.perf_counter() - started)
            assert job.report["table"]["sheet"] == "Customers", job.report["table"]
            started = time.perf_counter()
            import_preview(job=job)
            job = import_run(job=job)
            timings.setdefault(label, []).append(time.perf_counter() - started)
            assert job.created_count == args.rows, (job.created_count, job.report.get("run"))
            jobs[label] = job
    started = time.perf_counter()
    undo = import_undo(job=jobs["balances"])
    undo_seconds = time.perf_counter() - started
    ratio = statistics.median(
        b / a for a, b in zip(timings["plain"], timings["balances"], strict=True)
    )
    problems = ledger_check(business)
    vendor = django.db.connection.vendor
    print(
        f"{args.rows} customers from an XLSX workbook ({vendor}), medians of {args.rounds} "
        "interleaved rounds"
    )
    for label in ("plain", "balances"):
        seconds = statistics.median(timings[label])
        print(f"  import {label:>9}: {seconds:7.2f} s  {args.rows / seconds:9.0f} rows/s")
    print(f"  with balances / without: {ratio:.2f}x the time (median of the rounds' ratios)")
    for label in ("plain upload (sheets listed)", "balances upload (sheets listed)"):
        print(f"  {label}: {statistics.median(timings[label]):.2f} s")
    print(
        f"  undo of the last import with balances: {undo_seconds:.2f} s "
        f"({undo['removed']} removed, {undo['closed']} closed)"
    )
    print(f"  ledger check: {'clean' if not problems else problems[:3]}")
    return 0 if not problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
