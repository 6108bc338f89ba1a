"""The `wateja` command creates working databases: init, apikey create, demo."""

from __future__ import annotations

import sqlite3

from tests.helpers import wateja, wateja_env


def test_init_creates_business_owner_and_key(tmp_path):
    env = wateja_env(tmp_path)
    result = wateja(
        "init",
        "--business", "Duka la Mama",
        "--country", "TZ",
        "--currency", "TZS",
        "--timezone", "Africa/Dar_es_Salaam",
        "--language", "sw",
        "--owner", "mama",
        "--password", "siri-kubwa-123",
        "--no-input",
        env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    db = sqlite3.connect(tmp_path / "wateja.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    row = db.execute("SELECT slug, currency, default_language FROM tenants_business").fetchone()
    assert row == ("duka-la-mama", "TZS", "sw")
    role = db.execute(
        "SELECT s.role FROM tenants_staff s JOIN auth_user u ON u.id = s.user_id "
        "WHERE u.username = 'mama'"
    ).fetchone()
    assert role == ("owner",)
    welcome = db.execute(
        "SELECT a.is_active, t.purpose FROM messaging_automation a "
        "JOIN messaging_template t ON t.id = a.sms_template_id WHERE a.kind = 'welcome'"
    ).fetchone()
    assert welcome == (1, "service")

    key = wateja("apikey", "create", "--business", "duka-la-mama", env=env)
    assert key.returncode == 0, key.stderr
    token = key.stdout.strip()
    assert token.startswith("wj_")
    stored = db.execute("SELECT key_hash FROM tenants_apikey").fetchall()
    assert len(stored) == 1 and token not in stored[0][0]


def test_init_refuses_bad_currency_without_writing(tmp_path):
    env = wateja_env(tmp_path)
    result = wateja(
        "init", "--business", "X", "--currency", "ABC", "--password", "pw-12345678", "--no-input",
        env=env,
    )  # fmt: skip
    assert result.returncode != 0
    assert "currency" in (result.stderr + result.stdout).lower()
    db = sqlite3.connect(tmp_path / "wateja.sqlite3")
    assert db.execute("SELECT count(*) FROM tenants_business").fetchone()[0] == 0


def test_init_refuses_a_weak_owner_password_without_writing(tmp_path):
    env = wateja_env(tmp_path)
    result = wateja("init", "--business", "X", "--password", "1", "--no-input", env=env)
    assert result.returncode == 2
    assert "The owner password is not safe enough: This password is too short." in result.stderr
    db = sqlite3.connect(tmp_path / "wateja.sqlite3")
    assert db.execute("SELECT count(*) FROM tenants_business").fetchone()[0] == 0


def test_apikey_for_unknown_business_fails(tmp_path):
    env = wateja_env(tmp_path)
    assert wateja("init", "--no-input", env=env).returncode == 2
    result = wateja("apikey", "create", "--business", "nope", env=env)
    assert result.returncode == 2
    assert "nope" in result.stderr


def test_demo_builds_both_businesses(tmp_path):
    env = wateja_env(tmp_path)
    result = wateja("demo", "--no-serve", "--scale", "0.1", env=env)
    assert result.returncode == 0, result.stderr
    assert "demo / demo" in result.stdout
    assert "customers, a year of sales, the catalogue and its offers…" in result.stdout
    db = sqlite3.connect(tmp_path / "demo" / "wateja.sqlite3")
    businesses = dict(db.execute("SELECT slug, currency FROM tenants_business").fetchall())
    assert businesses == {"kahawa-corner": "KES", "vardanots-flowers": "AMD"}
    # a second run starts from a fresh database, not on top of the first
    again = wateja("demo", "--no-serve", "--scale", "0.1", env=env)
    assert again.returncode == 0, again.stderr
    db = sqlite3.connect(tmp_path / "demo" / "wateja.sqlite3")
    assert db.execute("SELECT count(*) FROM tenants_business").fetchone()[0] == 2
    people = dict(db.execute("SELECT business_id, count(*) FROM customers_customer GROUP BY 1"))
    assert len(people) == 2 and all(n >= 20 for n in people.values())
    assert db.execute("SELECT count(*) FROM orders_order").fetchone()[0] > 100


def test_recompute_stats_restores_purchase_figures(tmp_path):
    env = wateja_env(tmp_path)
    assert wateja("demo", "--no-serve", "--scale", "0.05", env=env).returncode == 0
    db_path = tmp_path / "demo" / "wateja.sqlite3"
    db = sqlite3.connect(db_path)
    before = db.execute(
        "SELECT id, purchase_count, total_spent_minor FROM customers_customer ORDER BY id"
    ).fetchall()
    db.execute("UPDATE customers_customer SET purchase_count = 0, total_spent_minor = 0")
    db.commit()
    demo_env = wateja_env(tmp_path / "demo")
    result = wateja("recompute-stats", "--business", "kahawa-corner", env=demo_env)
    assert result.returncode == 0, result.stderr
    assert "kahawa-corner:" in result.stdout
    after = {
        row[0]: row[1:]
        for row in db.execute(
            "SELECT c.id, c.purchase_count, c.total_spent_minor FROM customers_customer c "
            "JOIN tenants_business b ON b.id = c.business_id WHERE b.slug = 'kahawa-corner'"
        )
    }
    assert after == {row[0]: row[1:] for row in before if row[0] in after}
    assert any(count > 0 for count, _spent in after.values())


def test_check_ledger_passes_on_the_demo_and_catches_tampering(tmp_path):
    env = wateja_env(tmp_path)
    assert wateja("demo", "--no-serve", "--scale", "0.05", env=env).returncode == 0
    demo_env = wateja_env(tmp_path / "demo")
    clean = wateja("check-ledger", env=demo_env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "ledger consistent" in clean.stdout
    db = sqlite3.connect(tmp_path / "demo" / "wateja.sqlite3")
    account = db.execute(
        "SELECT id FROM wallet_account WHERE customer_id IS NOT NULL AND balance > 0 LIMIT 1"
    ).fetchone()
    assert account is not None, "the demo should have points"
    db.execute("UPDATE wallet_account SET balance = balance + 1 WHERE id = ?", account)
    db.commit()
    broken = wateja("check-ledger", env=demo_env)
    assert broken.returncode == 1
    assert f"account {account[0]}" in broken.stdout
