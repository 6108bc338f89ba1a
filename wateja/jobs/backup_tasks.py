"""The nightly backup: at WATEJA_BACKUP_HOUR (server local time), keeping WATEJA_BACKUP_KEEP."""

from __future__ import annotations

import logging

from huey.contrib.djhuey import db_periodic_task

from wateja.operations.backup import OperationFailed, backup_create, backup_due

log = logging.getLogger(__name__)

__all__ = ["backup_nightly"]


@db_periodic_task(backup_due)
def backup_nightly() -> str:
    """Back the database up; a failure is logged (and `wateja doctor` reports the backup's
    age), never retried in a loop."""
    try:
        result = backup_create()
    except OperationFailed as error:
        log.error("nightly backup failed: %s", error.message)
        return ""
    log.info("nightly backup %s (%d bytes)", result.path, result.size)
    return str(result.path)
