"""Uploaded spreadsheets hold customers' personal data: the stored file, its problem report
and the folders they sit in are readable by this user only (0600 and 0700), whatever the
process's umask; a product list waiting for its confirmation too. (The database, queue,
keys and backups made by the `wateja` command: tests/cli/test_private_files.py.)"""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from wateja.customers.models import ImportJob
from wateja.tenants.roles import Role

EN = {"Accept-Language": "en"}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def _open_umask(settings, tmp_path):
    """A process that would make files anyone can read (umask 022) and a fresh media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DATA_DIR = tmp_path
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_upload_settings_are_private(settings):
    assert settings.FILE_UPLOAD_PERMISSIONS == 0o600
    assert settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS == 0o700


def test_a_customer_spreadsheet_and_its_problem_report_are_private(
    business, staff_client, tmp_path
):
    client = staff_client(business, Role.MANAGER)
    upload = SimpleUploadedFile("customers.csv", b"Name,Phone\nAmina,0712 345 678\nBaraka,123\n")
    response = client.post("/imports/", {"file": upload, "source": "import"}, headers=EN)
    assert response.status_code == 302
    job = ImportJob.objects.get()
    stored = tmp_path / "media" / job.file_path
    assert stored.exists() and _mode(stored) == 0o600
    for folder in (stored.parent, stored.parent.parent, tmp_path / "media"):
        assert _mode(folder) == 0o700, folder

    checked = client.post(f"/imports/{job.pk}/columns/", {"col_0": "name", "col_1": "phone"})
    assert checked.status_code == 302
    reports = [p for p in stored.parent.iterdir() if p.name.endswith("-errors.csv")]
    assert reports, "the check writes the rows it refused beside the upload"
    assert {_mode(report) for report in reports} == {0o600}
    assert "invalid_phone" in reports[0].read_text(encoding="utf-8-sig")  # a row of theirs


def test_a_product_list_waiting_for_its_confirmation_is_private(business, staff_client, tmp_path):
    manager = staff_client(business, Role.MANAGER)
    sheet = io.BytesIO(b"Code;Name;Price\nTEA;Chai;120\n")
    sheet.name = "products.csv"
    preview = manager.post("/catalog/import/", {"file": sheet}, headers=EN)
    assert 'data-testid="import-preview"' in preview.content.decode()
    folder = tmp_path / "media" / "product-imports"
    waiting = list(folder.iterdir())
    assert len(waiting) == 1 and _mode(waiting[0]) == 0o600
    assert _mode(folder) == 0o700 and _mode(folder.parent) == 0o700
