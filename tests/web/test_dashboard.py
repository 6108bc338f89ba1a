"""The Reports dashboard through Django's test client: headline numbers and SVG charts for a
café whose March figures are worked out by hand below, the filters, bad periods answered with
a plain message (never a 500), another business's ids refused, the role check, CSV/XLSX
downloads read back, and the monthly PDF read back with poppler's pdftotext."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
import subprocess
import tempfile
import xml.etree.ElementTree as ET
import zoneinfo
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
import time_machine
from django.utils import translation
from openpyxl import load_workbook

from tests.messaging.factories import person, sms_template
from wateja.analytics.services import Period, analytics_settings_update
from wateja.customers.segments import segment_save
from wateja.customers.services import customer_create
from wateja.messaging.campaigns import campaign_launch, campaign_save
from wateja.orders.services import order_record
from wateja.tenants.roles import Role
from wateja.tenants.services import location_create
from wateja.wallet.services import balance_spend, points_earn
from wateja.web.reports.dashboard_export import bucket_kind, bucket_periods, compact_formatter

NAIROBI = zoneinfo.ZoneInfo("Africa/Nairobi")
NOW = dt.datetime(2026, 3, 31, 15, 0, tzinfo=NAIROBI)
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}
CHARTS = ("revenue", "points", "retention", "cohorts", "campaigns")
_numbers = itertools.count(1)


def at(month: int, day: int, hour: int = 12, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=NAIROBI)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def cafe(business, clock):
    """Orders of KES 10.00 (1,000 minor units) unless said; activity window 45 days.

        A  5 Jan, 10 Feb, 20 Mar (Westlands)    earns 100 points 20 Mar, spends 40 on 25 Mar
        B  20 Jan, 1 Mar (Moi Avenue)
        C  10 Feb (Westlands)
        E  31 Mar, today (Westlands)
        F  15 Mar (Moi Avenue)
        walk-in  10 Mar, KES 5.00 (Westlands)

    March: 5 orders, revenue KES 45.00 (members KES 40.00); active at the start (28 Feb) A B C
    = 3, at the end A B E F = 4, new E F = 2 → retention (4 − 2) / 3 = 66.7 %. At Westlands:
    A, E and the walk-in = 3 orders."""
    analytics_settings_update(business=business, activity_window_days=45, gross_margin_bp=4000)
    westlands = location_create(business=business, name="Westlands")
    moi = location_create(business=business, name="Moi Avenue")
    people = {
        name: customer_create(business=business, name=f"Mteja {name}", phone=f"07120000{n:02d}")
        for n, name in enumerate("ABCEF", start=1)
    }

    def sell(customer, when, total=1000, location=None):
        return order_record(
            business=business,
            number=f"D-{next(_numbers)}",
            total_minor=total,
            customer=customer,
            placed_at=when,
            location=location,
        )

    a, b, c, e, f = (people[k] for k in "ABCEF")
    sell(a, at(1, 5), location=westlands)
    sell(a, at(2, 10), location=westlands)
    sell(a, at(3, 20), location=westlands)
    sell(b, at(1, 20), location=moi)
    sell(b, at(3, 1), location=moi)
    sell(c, at(2, 10), location=westlands)
    sell(e, at(3, 31, 9), location=westlands)
    sell(f, at(3, 15), location=moi)
    sell(None, at(3, 10), total=500, location=westlands)
    points_earn(customer=a, amount=100, idempotency_key="a-earn", now=at(3, 20))
    balance_spend(customer=a, amount=40, idempotency_key="a-spend", now=at(3, 25))
    return SimpleNamespace(business=business, westlands=westlands, moi=moi, **people)


@pytest.fixture
def owner(cafe, staff_client):
    return staff_client(cafe.business, Role.OWNER)


def _html(response) -> str:
    return response.content.decode()


def _testid(html: str, testid: str) -> str:
    """The text inside the element with this data-testid (tags stripped, spaces joined)."""
    match = re.search(rf'data-testid="{re.escape(testid)}"[^>]*>(.*?)</div>', html, re.S)
    assert match, f"no {testid}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def _svgs(html: str) -> dict[str, ET.Element]:
    found = {}
    for markup in re.findall(r"<svg\b.*?</svg>", html, re.S):
        root = ET.fromstring(markup)  # well-formed, with every text escaped
        found[root.get("data-chart", "")] = root
    return found


# --------------------------------------------------------------------------------------------
# The page


def test_owner_sees_march_numbers_with_changes_explanations_and_charts(owner):
    response = owner.get("/reports/", MARCH)
    assert response.status_code == 200
    html = _html(response)
    assert _testid(html, "value-orders") == "5"
    assert "45.00" in _testid(html, "value-revenue_minor")
    assert _testid(html, "value-retention_rate") == "66.7 %"
    assert _testid(html, "value-new_customers") == "2"
    # the previous 31 days (29 Jan – 28 Feb) had 2 orders (A and C on 10 Feb): +150 %
    assert "+150.0" in _testid(html, "change-orders")
    assert "Share of the customers active at the start" in html  # a tile's explanation
    charts = _svgs(html)
    for key in CHARTS:
        svg = charts[f"chart-{key}"]
        assert svg.get("role") == "img"
        assert svg.get("viewBox", "").startswith("0 0 ")
        labelled = svg.get("aria-labelledby", "").split()
        titles = {el.get("id") for el in svg.iter() if el.get("id")}
        assert set(labelled) <= titles
    revenue = charts["chart-revenue"]
    bars = [
        el for el in revenue.iter("{http://www.w3.org/2000/svg}rect") if el.find("*") is not None
    ]
    assert bars, "the revenue chart draws bars"
    assert any("Members" in (el.findtext("{http://www.w3.org/2000/svg}title") or "") for el in bars)
    # a section per chart, each with its one-line explanation and downloads
    for key in (*CHARTS, "figures"):
        assert f'data-testid="section-{key}"' in html
        assert f'data-testid="export-{key}-csv"' in html
    assert "Revenue from card holders and from everyone else" in html
    assert 'data-testid="monthly-pdf"' in html


def test_default_period_is_the_last_30_days_up_to_today(owner):
    response = owner.get("/reports/")
    assert response.status_code == 200
    html = _html(response)
    assert 'value="2026-03-02"' in html and 'value="2026-03-31"' in html
    assert _testid(html, "value-orders") == "4"  # B's order on 1 March is outside


def test_location_segment_and_customer_group_filters(owner, cafe):
    html = _html(owner.get("/reports/", {**MARCH, "location": cafe.westlands.pk}))
    assert _testid(html, "value-orders") == "3"
    assert f'<option value="{cafe.westlands.pk}" selected>' in html
    assert "Location: Westlands" in html

    everyone = segment_save(business=cafe.business, name="Everyone", filters={})
    html = _html(owner.get("/reports/", {**MARCH, "segment": everyone.pk}))
    assert _testid(html, "value-orders") == "4"  # the walk-in belongs to no segment
    assert "Segment: Everyone" in html

    response = owner.get("/reports/", {**MARCH, "rfm": "champions"})
    assert response.status_code == 200
    assert "Customer group: Champions" in _html(response)


def test_an_empty_period_says_not_enough_data_instead_of_dividing_by_zero(owner):
    response = owner.get("/reports/", {"start": "2025-06-01", "end": "2025-06-30"})
    assert response.status_code == 200
    html = _html(response)
    assert _testid(html, "value-orders") == "0"
    assert _testid(html, "value-retention_rate") == "Not enough data"
    assert "no active customers at the start of the period" in html
    charts = _svgs(html)
    assert "No sales in this period." in ET.tostring(charts["chart-revenue"], encoding="unicode")
    assert "No campaign was sent in this period." in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-04-02"}, "The period reaches into the future"),
        ({"start": "2026-03-01", "end": "2026-05-01"}, "The period reaches into the future"),
        ({"start": "2026-03-10", "end": "2026-03-01"}, "The end of the period comes before"),
        ({"start": "10/03/2026"}, "Enter a date as YYYY-MM-DD."),
        ({"start": "2026-02-30"}, "The period is not valid."),
        ({"start": "1999-12-31", "end": "2000-01-05"}, "The period starts too early"),
        ({"start": "2001-01-01", "end": "2026-03-01"}, "The period is too long"),
    ],
)
def test_bad_periods_answer_with_a_clear_message(owner, params, message):
    response = owner.get("/reports/", params)
    assert response.status_code == 422
    html = _html(response)
    assert message in html
    assert 'data-testid="dashboard-error"' in html
    assert 'data-testid="headline"' not in html
    # the form keeps what was typed, so it can be corrected
    assert f'value="{params["start"]}"' in html


def test_another_business_location_or_segment_is_not_found(owner, other_business):
    theirs = location_create(business=other_business, name="Abovyan")
    response = owner.get("/reports/", {**MARCH, "location": theirs.pk})
    assert response.status_code == 404
    assert "Location not found." in _html(response)

    segment = segment_save(business=other_business, name="Theirs", filters={})
    response = owner.get("/reports/", {**MARCH, "segment": segment.pk})
    assert response.status_code == 404
    assert "Segment not found." in _html(response)

    response = owner.get(f"/reports/export/revenue.csv?location={theirs.pk}")
    assert response.status_code == 404


def test_malformed_filters_are_validation_errors(owner):
    response = owner.get("/reports/", {"location": "abc"})
    assert response.status_code == 422
    assert "Enter a whole number." in _html(response)
    response = owner.get("/reports/", {"rfm": "vip"})
    assert response.status_code == 422
    assert 'data-testid="dashboard-error"' in _html(response)


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.OWNER, 200), (Role.MANAGER, 200), (Role.CASHIER, 403), (Role.VIEWER, 403)],
)
def test_owners_and_managers_see_reports_cashiers_do_not(cafe, staff_client, role, status):
    client = staff_client(cafe.business, role)
    assert client.get("/reports/").status_code == status
    assert client.get("/reports/export/figures.csv").status_code == status
    assert client.get("/reports/monthly.pdf?month=2026-03").status_code == status
    if status == 403:
        assert "needs the Manager role" in client.get("/reports/").content.decode()


def test_logged_out_goes_to_login(client, cafe):
    response = client.get("/reports/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_campaigns_sent_in_the_period_are_listed(owner, cafe):
    person(cafe.business, "Amina")
    template = sms_template(cafe.business)
    campaign = campaign_save(
        business=cafe.business,
        name="Machi offer",
        sms_template_id=template.pk,
        channel="sms",
        offer="20% off",
        code="MACHI20",
    )
    campaign_launch(campaign=campaign, now=at(3, 20, 10))
    html = _html(owner.get("/reports/", MARCH))
    assert "Machi offer" in html
    assert (
        "20 Mar 2026" in html
    )  # started, in the business's time zone and country (Kenya: day first)
    table = re.search(r'data-testid="table-campaigns".*?</table>', html, re.S)
    assert table and "Machi offer" in table.group(0)
    chart = ET.tostring(_svgs(html)["chart-campaigns"], encoding="unicode")
    assert "No revenue or message cost recorded for these campaigns yet." in chart  # not sent yet
    # downloads keep the name, made formula-safe for spreadsheets
    rename = campaign_save(
        business=cafe.business,
        name="=HYPERLINK(1)",
        sms_template_id=template.pk,
        channel="sms",
        offer="x",
        code="EVIL1",
    )
    campaign_launch(campaign=rename, now=at(3, 21, 10))
    text = _download(owner.get("/reports/export/campaigns.csv", MARCH)).decode("utf-8-sig")
    names = [row["Campaign"] for row in csv.DictReader(io.StringIO(text))]
    assert names == ["'=HYPERLINK(1)", "Machi offer"]  # newest first
    # a period without it does not list it
    assert "Machi offer" not in _html(
        owner.get("/reports/", {"start": "2026-02-01", "end": "2026-02-28"})
    )


# --------------------------------------------------------------------------------------------
# Downloads


def _download(response) -> bytes:
    assert response.status_code == 200, response.content[:500]
    return b"".join(response.streaming_content)


def test_revenue_csv_reads_back_with_money_in_major_units(owner, cafe):
    response = owner.get("/reports/export/revenue.csv", MARCH)
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert "revenue-2026-03-01-2026-03-31.csv" in response["Content-Disposition"]
    text = _download(response).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows, "one row per week"
    assert sum(Decimal(r["Revenue (KES)"]) for r in rows) == Decimal("45.00")
    assert sum(Decimal(r["Members (KES)"]) for r in rows) == Decimal("40.00")
    assert sum(int(r["Orders"]) for r in rows) == 5
    assert rows[0]["From"] == "2026-03-01" and rows[-1]["To"] == "2026-03-31"


def test_figures_xlsx_reads_back(owner):
    response = owner.get("/reports/export/figures.xlsx", MARCH)
    book = load_workbook(io.BytesIO(_download(response)), read_only=True)
    sheet = book.worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:4] == ["Figure", "This period", "Previous period", "Change"]
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["Orders"][1] == 5
    assert Decimal(str(by_name["Revenue"][1])) == Decimal("45.00")
    assert by_name["Revenue"][4] == "KES"
    assert Decimal(str(by_name["Retention rate"][1])) == Decimal("66.67")
    assert by_name["Retention rate"][4] == "%"


@pytest.mark.parametrize("table", ["points", "retention", "cohorts", "campaigns"])
def test_every_table_downloads_as_csv_and_xlsx(owner, table):
    text = _download(owner.get(f"/reports/export/{table}.csv", MARCH)).decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    assert header
    book = load_workbook(io.BytesIO(_download(owner.get(f"/reports/export/{table}.xlsx", MARCH))))
    assert [c.value for c in book.worksheets[0][1]] == header


def test_the_cohort_table_holds_the_hand_computed_cohorts(owner):
    text = _download(owner.get("/reports/export/cohorts.csv", MARCH)).decode("utf-8-sig")
    rows = {r["First purchase"]: r for r in csv.DictReader(io.StringIO(text))}
    # January: A and B first bought; in March (month 2) both bought again
    assert rows["2026-01"]["Customers"] == "2"
    assert Decimal(rows["2026-01"]["Month 2"]) == Decimal("100.0")
    assert rows["2026-03"]["Customers"] == "2"  # E and F


def test_the_workbook_has_every_table(owner):
    book = load_workbook(io.BytesIO(_download(owner.get("/reports/export/all.xlsx", MARCH))))
    assert len(book.sheetnames) == 6
    assert "Retention curve" in book.sheetnames


@pytest.mark.parametrize("path", ["/reports/export/nothing.csv", "/reports/export/figures.pdf",
                                  "/reports/export/all.csv"])  # fmt: skip
def test_unknown_downloads_are_not_found(owner, path):
    assert owner.get(path).status_code == 404


def test_a_download_with_a_bad_period_says_why(owner):
    response = owner.get(
        "/reports/export/figures.csv", {"start": "2026-03-10", "end": "2026-03-01"}
    )
    assert response.status_code == 422
    assert "The end of the period comes before its start." in _html(response)


# --------------------------------------------------------------------------------------------
# The monthly PDF


def _poppler(tool: str, pdf: bytes) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.pdf"
        path.write_bytes(pdf)
        result = subprocess.run(
            [f"/usr/bin/{tool}", str(path), *(["-"] if tool == "pdftotext" else [])],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
    return result.stdout


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_monthly_pdf_holds_the_figures_their_meaning_and_the_tables(owner):
    response = owner.get("/reports/monthly.pdf", {"month": "2026-03"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "report-2026-03.pdf" in response["Content-Disposition"]
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    text = _flat(_poppler("pdftotext", pdf))
    assert "Monthly report: March 2026" in text
    assert "Kahawa Test" in text
    assert "Retention rate" in text and "66.7 %" in text
    assert "Share of the customers active at the start" in text  # what it means
    assert "KES45.00" in text
    for title in (
        "Revenue: members and others",
        "Points issued, redeemed and expired",
        "Retention curve",
        "Cohorts by month of first purchase",
        "Campaign results",
    ):
        assert title in text
    fonts = _poppler("pdffonts", pdf)
    assert "DejaVuSans" in fonts and "Helvetica" not in fonts


def test_monthly_pdf_prints_armenian(other_business, staff_client):
    other_business.name = "Վարդանոց Ծաղիկներ"
    other_business.save(update_fields=["name"])
    with time_machine.travel(dt.datetime(2026, 3, 31, 15, 0, tzinfo=dt.UTC), tick=False):
        customer = customer_create(business=other_business, name="Անահիտ", phone="+37491123456")
        order_record(
            business=other_business,
            number="AM-1",
            total_minor=1500000,
            customer=customer,
            placed_at=dt.datetime(2026, 3, 5, 12, tzinfo=dt.UTC),
        )
        client = staff_client(other_business, Role.OWNER)
        response = client.get(
            "/reports/monthly.pdf", {"month": "2026-03"}, HTTP_ACCEPT_LANGUAGE="hy"
        )
    assert response.status_code == 200
    text = _flat(_poppler("pdftotext", response.content))
    assert "Վարդանոց Ծաղիկներ" in text
    assert "■" not in text
    assert "AMD" in text  # DejaVu has no dram sign: the amount is printed with the ISO code


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("2026-13", "Enter a month as YYYY-MM."),
        ("March", "Enter a month as YYYY-MM."),
        ("2026-05", "This month has not started yet"),
        ("1999-12", "The period starts too early"),
    ],
)
def test_monthly_pdf_refuses_bad_months_with_a_message(owner, month, message):
    response = owner.get("/reports/monthly.pdf", {"month": month})
    assert response.status_code == 422
    assert response["Content-Type"].startswith("text/html")
    assert message in _html(response)


def test_the_current_month_reports_up_to_today(owner):
    response = owner.get("/reports/monthly.pdf", {"month": "2026-03"})  # this month, so far
    assert response.status_code == 200
    assert "March 2026" in _flat(_poppler("pdftotext", response.content))


def test_a_first_month_with_sales_but_nobody_active_before_has_no_retention_yet(owner):
    html = _html(owner.get("/reports/", {"start": "2026-01-01", "end": "2026-01-31"}))
    assert _testid(html, "value-orders") == "2"  # A on 5 January, B on 20 January
    assert _testid(html, "value-retention_rate") == "Not enough data"
    assert _testid(html, "value-churn_rate") == "Not enough data"
    assert "no active customers at the start of the period" in html


# --------------------------------------------------------------------------------------------
# Presentation helpers (no database)


@pytest.mark.parametrize(
    ("start", "end", "kind", "first", "last", "count"),
    [
        ("2026-03-25", "2026-03-31", "day", ("2026-03-25", "2026-03-25"), ("2026-03-31",) * 2, 7),
        ("2026-03-01", "2026-03-31", "week", ("2026-03-01", "2026-03-01"),
         ("2026-03-30", "2026-03-31"), 6),
        ("2025-04-15", "2026-03-31", "month", ("2025-04-15", "2025-04-30"),
         ("2026-03-01", "2026-03-31"), 12),
        ("2020-06-01", "2026-03-31", "year", ("2020-06-01", "2020-12-31"),
         ("2026-01-01", "2026-03-31"), 7),
    ],
)  # fmt: skip
def test_periods_are_cut_into_days_weeks_months_or_years(start, end, kind, first, last, count):
    period = Period(dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    assert bucket_kind(period) == kind
    parts = bucket_periods(period, kind)
    assert len(parts) == count
    assert (parts[0].start.isoformat(), parts[0].end.isoformat()) == first
    assert (parts[-1].start.isoformat(), parts[-1].end.isoformat()) == last
    assert sum(p.days for p in parts) == period.days  # no day lost or counted twice


def test_axis_numbers_share_one_suffix():
    with translation.override("en"):
        assert [compact_formatter(7500)(v) for v in (0, 2500, 7500)] == ["0", "2,500", "7,500"]
        assert [compact_formatter(20000)(v) for v in (0, 5000, 20000)] == ["0", "5k", "20k"]
        assert [compact_formatter(1_250_000)(v) for v in (250_000, 1_250_000)] == [
            "0.25M",
            "1.25M",
        ]


def test_the_monthly_pdf_defaults_to_the_last_full_month(owner):
    with time_machine.travel(dt.datetime(2026, 4, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        response = owner.get("/reports/monthly.pdf")
    assert response.status_code == 200
    assert "report-2026-03.pdf" in response["Content-Disposition"]
