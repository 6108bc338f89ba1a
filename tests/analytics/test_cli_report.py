"""`wateja report`: the main figures of a period as text or JSON."""

from __future__ import annotations

import json

from tests.helpers import wateja, wateja_env
from wateja.cli import main


def test_report_as_text(shop, capsys, tmp_path):
    code = main(
        ["--data-dir", str(tmp_path), "report", "--business", shop.business.slug,
         "--start", "2026-03-01", "--end", "2026-03-31"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "2026-03-01 to 2026-03-31 (31 days)" in out
    assert "Retention rate" in out and "66.7 %" in out
    assert "Churn rate" in out and "33.3 %" in out
    assert "Champions" in out


def test_report_as_json_for_a_location(shop, capsys, tmp_path):
    code = main(
        ["--data-dir", str(tmp_path), "report", "--business", shop.business.slug,
         "--start", "2026-03-01", "--end", "2026-03-31", "--location", "westlands",
         "--format", "json"]
    )  # fmt: skip
    body = json.loads(capsys.readouterr().out)
    assert code == 0
    assert body["filters"]["location_id"] == shop.westlands.pk
    assert body["dashboard"]["current"]["orders"] == 3
    assert body["points"]["ultimate_redemption_rate"] is not None


def test_report_refuses_bad_input(shop, capsys, tmp_path):
    args = ["--data-dir", str(tmp_path), "report", "--business"]
    assert main([*args, "nope"]) == 2
    assert "nope" in capsys.readouterr().err
    assert main([*args, shop.business.slug, "--start", "2026-03-10", "--end", "2026-03-01"]) == 2
    assert "before its start" in capsys.readouterr().err
    assert main([*args, shop.business.slug, "--location", "Mombasa"]) == 2


def test_report_on_a_new_business_says_not_enough_data(tmp_path):
    env = wateja_env(tmp_path)
    init = wateja(
        "init", "--business", "Duka Jipya", "--password", "siri-kubwa-123", "--no-input", env=env
    )
    assert init.returncode == 0, init.stderr
    result = wateja("report", "--business", "duka-jipya", env=env)
    assert result.returncode == 0, result.stderr
    assert "not enough data" in result.stdout
    future = wateja("report", "--business", "duka-jipya", "--end", "2999-01-01", env=env)
    assert future.returncode == 2 and "future" in future.stderr
