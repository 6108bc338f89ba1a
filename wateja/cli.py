"""The `wateja` command: init, serve, worker, demo, apikey, report, checks, backups and Django.

Each sub-command sets up Django (after choosing the data directory) and calls services; no
business rule lives here.
"""

from __future__ import annotations

import argparse
import getpass
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wateja.settings")
    import django

    from wateja.i18n import compile_catalogues

    compile_catalogues()
    django.setup()


def _prepare_database(verbosity: int = 0) -> None:
    from django.core.management import call_command

    from wateja.operations.permissions import files_narrow

    call_command("migrate", interactive=False, verbosity=verbosity)
    files_narrow()  # an installation made before files were created private


def _ask(prompt: str, default: str = "") -> str:
    answer = input(f"{prompt}{f' [{default}]' if default else ''}: ").strip()
    return answer or default


def _print_error(error: Any) -> None:
    print(error.message, file=sys.stderr)
    for field, problems in error.details.get("fields", {}).items():
        print(f"  {field}: {'; '.join(problems)}", file=sys.stderr)


def cmd_init(args: argparse.Namespace) -> int:
    _setup_django()
    _prepare_database(verbosity=1)
    from django.contrib.auth import get_user_model

    from wateja.core.errors import DomainError
    from wateja.tenants.models import Business
    from wateja.tenants.roles import Role
    from wateja.tenants.services import business_create, staff_add

    interactive = sys.stdin.isatty() and not args.no_input
    name = args.business or (_ask("Business name") if interactive else "")
    if not name:
        if Business.objects.exists():
            print("Database ready.")
            return 0
        print("Give --business NAME (and --owner/--password) to create the first business.")
        return 2
    country = args.country or (_ask("Country (ISO code)", "KE") if interactive else "KE")
    currency = args.currency or (_ask("Currency", "KES") if interactive else "KES")
    tz = args.timezone or (_ask("Time zone", "Africa/Nairobi") if interactive else "UTC")
    language = args.language or (_ask("Language (en, sw, hy, ru)", "en") if interactive else "en")
    owner = args.owner or (_ask("Owner username", "owner") if interactive else "owner")
    password = args.password or (getpass.getpass("Owner password: ") if interactive else "")
    if not password:
        print("An owner password is needed (--password).")
        return 2
    from django.contrib.auth import password_validation
    from django.core.exceptions import ValidationError

    try:  # the same rules as every other place a password is set
        password_validation.validate_password(password, get_user_model()(username=owner))
    except ValidationError as error:
        print(f"The owner password is not safe enough: {' '.join(error.messages)}", file=sys.stderr)
        return 2
    try:
        business = business_create(
            name=name,
            country=country,
            currency=currency,
            timezone_name=tz,
            default_language=language,
        )
    except DomainError as error:
        _print_error(error)
        return 2
    staff_add(business=business, username=owner, role=Role.OWNER, password=password)
    from wateja.messaging.starter import starter_kit

    starter_kit(business=business)
    if not get_user_model().objects.filter(is_superuser=True).exists():
        get_user_model().objects.filter(username=owner).update(is_staff=True, is_superuser=True)
    print(f"Created business {business.name} ({business.slug}) with owner {owner}.")
    return 0


def _collect_static() -> None:
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


def _serve(host: str, port: int, workers: int) -> int:
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    from wateja.wsgi import application

    _collect_static()
    connections.close_all()

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            options: dict[str, Any] = {
                "bind": f"{host}:{port}",
                "workers": workers,
                "worker_class": "gthread",
                "threads": 4,
                "timeout": 60,
                "accesslog": "-",
                "errorlog": "-",
                "loglevel": "warning",
                # request lines and referers without link tokens or phone numbers
                "logger_class": "wateja.operations.access_log.RedactingLogger",
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return application

    Server().run()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    _setup_django()
    _prepare_database()
    return _serve(args.host, args.port, args.workers)


def cmd_worker(args: argparse.Namespace) -> int:
    _setup_django()
    if args.check:
        from wateja.jobs.tasks import worker_ping

        result = worker_ping(7)
        value = result.get(blocking=True, timeout=args.timeout)
        print("worker answered" if value == 7 else "worker did not answer")
        return 0 if value == 7 else 1
    from django.core.management import call_command

    call_command("run_huey")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    data_dir = Path(os.environ["WATEJA_DATA_DIR"])
    for name in ("wateja.sqlite3", "wateja.sqlite3-wal", "wateja.sqlite3-shm", "huey.sqlite3"):
        (data_dir / name).unlink(missing_ok=True)
    shutil.rmtree(data_dir / "media", ignore_errors=True)
    _setup_django()
    _prepare_database()
    from wateja.demo import DEMO_PASSWORD, DEMO_USERNAME, seed

    started = time.monotonic()

    def progress(step: str) -> None:
        print(f"  [{time.monotonic() - started:5.1f} s] {step}…", flush=True)

    print("Creating the demo data:", flush=True)
    summary = seed(seed_value=args.seed, scale=args.scale, progress=progress)
    shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "") else args.host  # noqa: S104
    url = f"http://{shown_host}:{args.port}/"
    print(
        "\nWateja demo is ready.\n"
        f"  Open:      {url}\n"
        f"  Log in:    {DEMO_USERNAME} / {DEMO_PASSWORD}"
        f"  (owner of {', '.join(summary['businesses'])})\n"
        f"  Cashier:   cashier / cashier  (till PINs: cashier 2580, wanjiru 3691, manager 1397)\n"
        f"  API key:   {summary['api_key']}\n"
        f"  Try:       curl -H 'Authorization: Bearer {summary['api_key']}' {url}api/v1/business\n"
        f"  API docs:  {url}api/docs\n",
        flush=True,
    )
    if args.no_serve:
        return 0
    worker = _start_worker()
    print(
        "  Worker:    running beside the server (messages move from queued to sent)\n", flush=True
    )
    try:
        return _serve(args.host, args.port, args.workers)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()


def _start_worker() -> subprocess.Popen[bytes]:
    """`wateja worker` in its own process, with this one's settings (the demo's data dir)."""
    return subprocess.Popen([sys.executable, "-m", "wateja.cli", "worker"], env=dict(os.environ))


def cmd_apikey(args: argparse.Namespace) -> int:
    _setup_django()
    from wateja.core.errors import DomainError
    from wateja.tenants.models import Business
    from wateja.tenants.services import apikey_create

    business = Business.objects.filter(slug=args.business).first()
    if business is None:
        print(f"No business with the short name {args.business!r}.", file=sys.stderr)
        return 2
    try:
        _key, token = apikey_create(business=business, name=args.name, role=args.role)
    except DomainError as error:
        _print_error(error)
        return 2
    print(token)
    return 0


def cmd_mpesa_register(args: argparse.Namespace) -> int:
    """Register the business's C2B validation and confirmation addresses with Daraja."""
    _setup_django()
    from wateja.core.errors import DomainError
    from wateja.payments.daraja import register_urls
    from wateja.payments.mpesa import callback_addresses
    from wateja.payments.services import payment_settings
    from wateja.tenants.models import Business

    business = Business.objects.filter(slug=args.business).first()
    if business is None:
        print(f"No business with the short name {args.business!r}.", file=sys.stderr)
        return 2
    row = payment_settings(business)
    try:
        answer = register_urls(row)
    except DomainError as error:
        _print_error(error)
        return 2
    for kind, address in callback_addresses(row).items():
        print(f"{kind}: {address}")
    print(f"M-Pesa answered: {answer.get('ResponseDescription', 'success')}")
    return 0


def cmd_chats_connect(args: argparse.Namespace) -> int:
    """Point the business's Telegram and Viber bots at Wateja, and print what to paste into
    Meta's dashboard for WhatsApp (Meta takes its callback address only there)."""
    _setup_django()
    from wateja.core.errors import DomainError
    from wateja.customers.links import public_url
    from wateja.messaging.channels.telegram import telegram_set_webhook
    from wateja.messaging.channels.viber import viber_set_webhook
    from wateja.messaging.config import messaging_settings
    from wateja.messaging.models import MessengerMode
    from wateja.tenants.models import Business

    business = Business.objects.filter(slug=args.business).first()
    if business is None:
        print(f"No business with the short name {args.business!r}.", file=sys.stderr)
        return 2
    row = messaging_settings(business)
    failed = False
    for app, connect in (("telegram", telegram_set_webhook), ("viber", viber_set_webhook)):
        if getattr(row, f"{app}_mode") != MessengerMode.LIVE:
            print(f"{app}: not switched on")
            continue
        try:
            print(f"{app}: {connect(row) or 'connected'}")
        except DomainError as error:
            failed = True
            print(f"{app}: {error.message}", file=sys.stderr)
    if row.whatsapp_mode == MessengerMode.LIVE:
        print(f"whatsapp callback URL: {public_url(f'/hooks/{row.hook_token}/whatsapp/')}")
        print(f"whatsapp verify token: {row.whatsapp_verify_token}")
    else:
        print("whatsapp: not switched on")
    return 1 if failed else 0


def cmd_staff_reset_two_factor(args: argparse.Namespace) -> int:
    """The way back for someone who lost both their phone and their recovery codes (an owner
    has no one above them to reset it on screen): whoever runs the server resets it."""
    _setup_django()
    from wateja.tenants.models import Business, Staff
    from wateja.tenants.two_factor import reset

    business = Business.objects.filter(slug=args.business).first()
    staff = (
        Staff.objects.filter(business=business, user__username=args.username).first()
        if business is not None
        else None
    )
    if staff is None:
        print(f"No staff member {args.username!r} at {args.business!r}.", file=sys.stderr)
        return 2
    reset(staff=staff, actor=None)
    print(f"Two-step sign-in reset for {args.username}: they set it up again at next sign-in.")
    return 0


def cmd_staff_add(args: argparse.Namespace) -> int:
    _setup_django()
    from wateja.core.errors import DomainError
    from wateja.tenants.models import Business
    from wateja.tenants.staff import staff_create

    business = Business.objects.filter(slug=args.business).first()
    if business is None:
        print(f"No business with the short name {args.business!r}.", file=sys.stderr)
        return 2
    password = args.password or getpass.getpass("Password: ")
    try:
        staff = staff_create(
            business=business,
            username=args.username,
            name=args.name or args.username,
            role=args.role,
            password=password,
            pin=args.pin or "",
        )
    except DomainError as error:
        _print_error(error)
        return 2
    print(f"{staff.user.get_username()} ({staff.role}) can now sign in to {business.name}.")
    return 0


def cmd_recompute_stats(args: argparse.Namespace) -> int:
    _setup_django()
    from wateja.orders.services import customer_stats_recompute
    from wateja.tenants.models import Business

    businesses = Business.objects.all()
    if args.business:
        businesses = businesses.filter(slug=args.business)
        if not businesses.exists():
            print(f"No business with the short name {args.business!r}.", file=sys.stderr)
            return 2
    for business in businesses:
        count = customer_stats_recompute(business=business)
        print(f"{business.slug}: {count} customers recomputed")
    return 0


def cmd_check_ledger(args: argparse.Namespace) -> int:
    _setup_django()
    from wateja.tenants.models import Business
    from wateja.wallet.services import ledger_check

    business = None
    if args.business:
        business = Business.objects.filter(slug=args.business).first()
        if business is None:
            print(f"No business with the short name {args.business!r}.", file=sys.stderr)
            return 2
    problems = ledger_check(business)
    for line in problems:
        print(line)
    print("ledger consistent" if not problems else f"{len(problems)} problem(s) found")
    return 1 if problems else 0


def cmd_partitions(args: argparse.Namespace) -> int:
    _setup_django()
    import datetime as dt

    from django.db import connection

    from wateja.tenants import partitioning

    if connection.vendor != "postgresql":
        print("Partitions are made on PostgreSQL only; this database is SQLite.")
        return 0
    if args.detach:
        try:
            month = dt.date.fromisoformat(f"{args.detach}-01")
        except ValueError:
            print(f"Not a month: {args.detach!r} (YYYY-MM).", file=sys.stderr)
            return 2
        if month >= partitioning.month_start(dt.datetime.now(dt.UTC)):
            print("Only a month that has ended can be detached.", file=sys.stderr)
            return 2
        for part in partitioning.PARTITIONED:
            if partitioning.has_month(part.table, month):
                name = partitioning.detach_month(part.table, month)
                print(f"{name}: detached (dump it with pg_dump -t {name}, then drop it)")
        return 0
    made = partitioning.ensure_months(now=dt.datetime.now(dt.UTC), ahead=args.ahead)
    for name in made:
        print(f"{name}: made")
    for part in partitioning.PARTITIONED:
        for row in partitioning.partitions(part.table):
            print(f"{row['name']}\t~{row['rows_estimate']} rows")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    _setup_django()
    import json

    from django.utils import translation

    from wateja.analytics.reports import report_text
    from wateja.analytics.services import as_dict, filters_parse, period_parse, report_get
    from wateja.core.errors import DomainError
    from wateja.dbrouting import reporting_reads
    from wateja.tenants.models import Business, Location

    business = Business.objects.filter(slug=args.business).first()
    if business is None:
        print(f"No business with the short name {args.business!r}.", file=sys.stderr)
        return 2
    location = None
    if args.location:
        found = Location.objects.for_business(business)
        location = (
            found.filter(pk=int(args.location)).first()
            if args.location.isdigit()
            else found.filter(name__iexact=args.location).first()
        )
        if location is None:
            print(f"No location {args.location!r} at {business.slug}.", file=sys.stderr)
            return 2
    with translation.override(args.language or business.default_language):
        try:
            period = period_parse(business=business, start=args.start, end=args.end)
            filters = filters_parse(business=business, location=location.pk if location else None)
            with reporting_reads():  # from the read replica when there is one
                report = report_get(business=business, period=period, filters=filters)
        except DomainError as error:
            _print_error(error)
            return 2
        if args.format == "json":
            print(json.dumps(as_dict(report), ensure_ascii=False, indent=2))
        else:
            print(report_text(report, location_name=location.name if location else ""))
    return 0


def _size_text(size: int) -> str:
    return f"{size / 1024**2:.1f} MB" if size >= 1024**2 else f"{size / 1024:.1f} KB"


def cmd_backup(args: argparse.Namespace) -> int:
    _setup_django()
    from wateja.operations.backup import OperationFailed, backup_create

    try:
        result = backup_create(to=Path(args.to) if args.to else None, keep=args.keep)
    except OperationFailed as error:
        print(error.message, file=sys.stderr)
        return error.exit_code
    print(f"{result.path} ({_size_text(result.size)})")
    for path in result.removed:
        print(f"removed the older {path.name}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import call_command

    from wateja.operations.backup import (
        OperationFailed,
        contents_text,
        keys_restore,
        restore_apply,
        restore_prepare,
    )
    from wateja.wallet.services import ledger_check

    path = Path(args.file)
    try:
        kind, contents = restore_prepare(path)
        if contents and not args.yes:
            print(
                f"The configured database holds {contents_text(contents)}: restoring "
                f"{path.name} replaces all of it (back it up first with `wateja backup`). "
                "Run again with --yes to go on.",
                file=sys.stderr,
            )
            return 2
        restore_apply(path, kind)
    except OperationFailed as error:
        print(error.message, file=sys.stderr)
        return error.exit_code
    print(f"restored {path.name}")
    for note in keys_restore(path):
        print(note)
    call_command("migrate", interactive=False, verbosity=0)
    print("migrations applied")
    problems = ledger_check(None)
    for line in problems:
        print(line)
    print("ledger consistent" if not problems else f"{len(problems)} problem(s) found")
    return 1 if problems else 0


def cmd_doctor(args: argparse.Namespace) -> int:
    _setup_django()
    import json

    from wateja.operations.doctor import FAIL, as_dicts, doctor_run, text

    checks = doctor_run()
    failed = any(check.status == FAIL for check in checks)
    if args.json:
        print(json.dumps({"ok": not failed, "checks": as_dicts(checks)}, indent=2))
    else:
        print(text(checks))
    return 1 if failed else 0


def cmd_manage(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["wateja manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wateja", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="data directory (default $WATEJA_DATA_DIR or ./var)")
    sub = parser.add_subparsers(dest="command", required=True)

    init = sub.add_parser("init", help="create the database and the first business")
    init.add_argument("--business", help="business name")
    init.add_argument("--country", help="ISO 3166 country code, e.g. KE")
    init.add_argument("--currency", help="ISO 4217 currency, e.g. KES")
    init.add_argument("--timezone", help="e.g. Africa/Nairobi")
    init.add_argument("--language", help="default language: en, sw, hy or ru")
    init.add_argument("--owner", help="owner's username")
    init.add_argument("--password", help="owner's password")
    init.add_argument("--no-input", action="store_true", help="never ask questions")
    init.set_defaults(func=cmd_init)

    def add_server_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
        p.add_argument("--workers", type=int, default=2)

    serve = sub.add_parser("serve", help="run the web server (gunicorn, static files served)")
    add_server_options(serve)
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run the background job consumer (Huey)")
    worker.add_argument("--check", action="store_true", help="send one job and wait for it")
    worker.add_argument("--timeout", type=float, default=10)
    worker.set_defaults(func=cmd_worker)

    demo = sub.add_parser("demo", help="fresh SQLite database with demo businesses, then serve")
    add_server_options(demo)
    demo.add_argument("--no-serve", action="store_true", help="only create the demo data")
    demo.add_argument("--seed", type=int, default=2026, help="random seed for the demo data")
    demo.add_argument("--scale", type=float, default=1.0, help="multiply the amount of demo data")
    demo.set_defaults(func=cmd_demo)

    apikey = sub.add_parser("apikey", help="API keys")
    apikey_sub = apikey.add_subparsers(dest="action", required=True)
    create = apikey_sub.add_parser("create", help="print a new API key for a business")
    create.add_argument("--business", required=True, help="the business's short name (slug)")
    create.add_argument("--name", default="CLI key")
    create.add_argument(
        "--role", default="manager", choices=["owner", "manager", "cashier", "viewer"]
    )
    create.set_defaults(func=cmd_apikey)

    mpesa = sub.add_parser("mpesa", help="M-Pesa (Daraja C2B) for a business")
    mpesa_sub = mpesa.add_subparsers(dest="action", required=True)
    register = mpesa_sub.add_parser(
        "register-urls", help="tell M-Pesa where to send the business's payments"
    )
    register.add_argument("--business", required=True, help="the business's short name (slug)")
    register.set_defaults(func=cmd_mpesa_register)

    chats = sub.add_parser("chats", help="WhatsApp, Telegram and Viber for a business")
    chats_sub = chats.add_subparsers(dest="action", required=True)
    connect = chats_sub.add_parser(
        "connect", help="point the Telegram and Viber bots at Wateja; show WhatsApp's callback"
    )
    connect.add_argument("--business", required=True, help="the business's short name (slug)")
    connect.set_defaults(func=cmd_chats_connect)

    staff = sub.add_parser("staff", help="the people who work for a business")
    staff_sub = staff.add_subparsers(dest="action", required=True)
    add = staff_sub.add_parser("add", help="add a staff member who can sign in")
    add.add_argument("--business", required=True, help="the business's short name (slug)")
    add.add_argument("--username", required=True)
    add.add_argument("--name", help="their name as the screens show it")
    add.add_argument("--role", default="cashier", choices=["manager", "cashier", "viewer"])
    add.add_argument("--password", help="asked for when left out")
    add.add_argument("--pin", help="4 to 6 digits, to switch at a shared till")
    add.set_defaults(func=cmd_staff_add)
    reset = staff_sub.add_parser(
        "reset-two-factor", help="clear a staff member's two-step sign-in (lost phone and codes)"
    )
    reset.add_argument("--business", required=True, help="the business's short name (slug)")
    reset.add_argument("--username", required=True)
    reset.set_defaults(func=cmd_staff_reset_two_factor)

    stats = sub.add_parser(
        "recompute-stats", help="recompute customers' purchase figures from their orders"
    )
    stats.add_argument("--business", help="only this business (short name)")
    stats.set_defaults(func=cmd_recompute_stats)

    check = sub.add_parser(
        "check-ledger", help="recompute every balance from its entries; exit 1 on a difference"
    )
    check.add_argument("--business", help="only this business (short name)")
    check.set_defaults(func=cmd_check_ledger)

    partitions = sub.add_parser(
        "partitions",
        help="PostgreSQL: make the coming months' partitions, list them, or detach an old month",
    )
    partitions.add_argument("--ahead", type=int, default=3, help="months to make ahead (3)")
    partitions.add_argument("--detach", metavar="YYYY-MM", help="detach this ended month")
    partitions.set_defaults(func=cmd_partitions)

    report = sub.add_parser("report", help="print the main figures of a period")
    report.add_argument("--business", required=True, help="the business's short name (slug)")
    report.add_argument("--start", help="first day, YYYY-MM-DD (default: 30 days ago)")
    report.add_argument("--end", help="last day, YYYY-MM-DD (default: today)")
    report.add_argument("--location", help="only this location (id or name)")
    report.add_argument("--format", choices=["text", "json"], default="text")
    report.add_argument("--language", help="en, sw, hy or ru (default: the business's)")
    report.set_defaults(func=cmd_report)

    backup = sub.add_parser("backup", help="back the database up (SQLite or PostgreSQL)")
    backup.add_argument("--to", help="folder (default $WATEJA_BACKUP_DIR or <data dir>/backups)")
    backup.add_argument(
        "--keep", type=int, help="keep this many backups there (default $WATEJA_BACKUP_KEEP, 14)"
    )
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser(
        "restore", help="replace the database with a backup, then migrate and check the ledger"
    )
    restore.add_argument("file", help="a file `wateja backup` wrote")
    restore.add_argument("--yes", action="store_true", help="replace a database that has data")
    restore.set_defaults(func=cmd_restore)

    doctor = sub.add_parser("doctor", help="check settings, database, worker, e-mail, disk…")
    doctor.add_argument("--json", action="store_true", help="the checks as JSON")
    doctor.set_defaults(func=cmd_doctor)

    manage = sub.add_parser("manage", help="run a Django management command")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # every file the command creates (database, queue, keys, uploads, backups, logs) is
    # readable by this user only; nothing here is meant for another account on the machine
    os.umask(0o077)
    data_dir = Path(args.data_dir or os.environ.get("WATEJA_DATA_DIR", "var")).resolve()
    if args.command == "demo":
        os.environ.pop("DATABASE_URL", None)
        data_dir = data_dir / "demo"
        shown = "127.0.0.1" if args.host in ("0.0.0.0", "") else args.host  # noqa: S104
        # links in messages and the provider callbacks name the address the demo serves on
        os.environ.setdefault("WATEJA_PUBLIC_URL", f"http://{shown}:{args.port}")
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["WATEJA_DATA_DIR"] = str(data_dir)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
