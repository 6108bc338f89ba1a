"""Operations: backups and restores of the database, and `wateja doctor`'s checks.

Used by the `wateja` command and the scheduled backup job; no business rule lives here.
"""
