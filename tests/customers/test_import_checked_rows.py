"""The import reuses the preview's verdict on every row (the rows are not checked twice) only
while the file, the columns and the rules it was checked under are unchanged; the stored
verdicts go with the upload. And card numbers drawn in batches keep their format."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import translation

from wateja.core.cards import luhn_check_digit, new_card_numbers
from wateja.customers import importing
from wateja.customers.importing import import_preview, import_run, import_upload
from wateja.customers.models import Card, Customer


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


ROWS = [
    ["Jina", "Simu", "Barua pepe", "Mji"],
    ["Amina Otieno", "0712 345 678", "amina@example.co.ke", "Nairobi"],
    ["Baraka Kamau", "+254 722 000 111", "", "Mombasa"],
    ["Imani Njeri", "0712345678", "", "Kisumu"],  # the first row's phone again
    ["Juma Ali", "12", "", "Thika"],  # no valid contact
    ["Neema Wafula", "254733123456", "not-an-address", "Nakuru"],  # imported, e-mail left out
]


def upload(business, rows=ROWS):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    job, _created = import_upload(
        business=business, file_name="wateja.csv", fileobj=io.BytesIO(buffer.getvalue().encode())
    )
    return job


def count_checks(monkeypatch):
    calls = []
    check = importing._RowChecker.check

    def counted(self, number, cells):
        calls.append(number)
        return check(self, number, cells)

    monkeypatch.setattr(importing._RowChecker, "check", counted)
    return calls


def outcome(business, job):
    customers = Customer.objects.for_business(business).order_by("import_row")
    return (
        [(c.name, c.phone, c.email, c.import_row) for c in customers],
        job.created_count,
        job.skipped_count,
        job.error_count,
        sorted((i["row"], i["code"]) for i in job.report["run"]["errors"]),
        sorted((w["row"], w["code"]) for w in job.report["run"]["warnings"]),
    )


def test_the_run_takes_the_previews_verdicts_and_gets_the_same_result(
    business, make_business, monkeypatch
):
    other_business = make_business(name="Duka la Pili")
    checks = count_checks(monkeypatch)
    job = upload(business)
    preview = import_preview(job=job)
    assert (preview["valid_rows"], preview["duplicate_rows"], preview["error_rows"]) == (3, 1, 1)
    assert len(checks) == 5
    job = import_run(job=job)
    assert len(checks) == 5  # no row checked again
    reused = outcome(business, job)

    # the same file checked again by the run gives the same customers, counts and problems
    other = upload(other_business)
    import_preview(job=other)
    importing._checked_file(other).unlink()
    other = import_run(job=other)
    assert len(checks) == 15
    assert outcome(other_business, other) == reused
    assert reused[0] == [
        ("Amina Otieno", "+254712345678", "amina@example.co.ke", 2),
        ("Baraka Kamau", "+254722000111", "", 3),
        ("Neema Wafula", "+254733123456", "", 6),
    ]
    assert Card.objects.for_business(business).count() == 3
    assert not importing._checked_file(job).exists()  # gone once the import is done


def test_verdicts_checked_under_other_rules_are_not_reused(business, monkeypatch):
    checks = count_checks(monkeypatch)
    job = upload(business)
    with translation.override("en"):
        import_preview(job=job)
    assert len(checks) == 5
    with translation.override("ru"):  # messages in another language: checked again
        job = import_run(job=job)
    assert len(checks) == 10
    assert job.created_count == 3
    messages = [i["message"] for i in job.report["run"]["errors"]]
    assert messages and all(any("\u0400" <= ch <= "\u04ff" for ch in m) for m in messages)


def test_a_changed_business_country_checks_the_rows_again(business, monkeypatch):
    checks = count_checks(monkeypatch)
    job = upload(business)
    import_preview(job=job)
    business.country = "TZ"
    business.save(update_fields=["country"])
    job.refresh_from_db()
    job = import_run(job=job)
    assert len(checks) == 10
    # +254 numbers are still Kenyan; "0712 345 678" is now read as a Tanzanian number
    phones = set(Customer.objects.for_business(business).values_list("phone", flat=True))
    assert "+254722000111" in phones and "+254712345678" not in phones


def test_the_stored_verdicts_go_with_the_upload(business):
    job = upload(business)
    import_preview(job=job)
    stored = importing._checked_file(job)
    assert stored.exists() and stored.stat().st_mode & 0o077 == 0  # private
    importing._delete_files(job, source_only=True)
    assert not stored.exists()


def test_a_resumed_run_skips_the_rows_already_written(business, monkeypatch):
    rows = [ROWS[0]] + [[f"Mteja {n}", f"07{n:08d}", "", "Nairobi"] for n in range(10, 40)]
    job = upload(business, rows)
    import_preview(job=job)
    written = []
    commit = importing._commit

    def fail_after_two(*args, **kwargs):
        if len(written) == 2:
            raise RuntimeError("power cut")
        written.append(1)
        return commit(*args, **kwargs)

    monkeypatch.setattr(importing, "_commit", fail_after_two)
    with pytest.raises(RuntimeError):
        import_run(job=job, batch_size=10)
    monkeypatch.setattr(importing, "_commit", commit)
    job = import_run(job=job, batch_size=10)
    assert job.created_count == 30
    rows_written = Customer.objects.for_business(business).values_list("import_row", flat=True)
    assert sorted(rows_written) == list(range(2, 32))


@pytest.mark.parametrize(("prefix", "length"), [("8", 12), ("12", 16), ("8", 9), ("99", 19)])
def test_card_numbers_in_batches_keep_the_format_and_check_digit(prefix, length):
    numbers = new_card_numbers(2000, prefix, length)
    assert len(numbers) == 2000
    for number in numbers:
        assert len(number) == length and number.isdigit() and number.startswith(prefix)
        assert number[-1] == luhn_check_digit(number[:-1])
    assert len(set(numbers)) > 1900  # random, not a sequence
    assert new_card_numbers(0) == []
    with pytest.raises(ValueError):
        new_card_numbers(3, "8x")
