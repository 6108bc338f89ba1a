"""The analytics dashboard's data as tables: what the screen shows under each chart, what the
CSV/XLSX downloads hold, and the monthly PDF report.

Every figure comes from `wateja.analytics.services` (and campaign results from
`wateja.messaging.selectors`); this module only picks, labels and formats them:

* `overview_get` reads everything the dashboard shows for a period and filters;
  `table_get` reads only what one table needs (a download).
* `figures_table`, `revenue_table`, `points_table`, `retention_table`, `cohorts_table`,
  `campaigns_table` turn them into `Table`s of typed `Cell`s: raw values (money in minor
  units, rates in percent) with a kind that says how to show them.
* `show` formats a cell for people (money in the business currency, dates and numbers in the
  active language); `table_export` / `workbook_export` write raw values (money in major units,
  exact decimals, ISO dates) to CSV or XLSX through `customers.exporting`, formula-safe.
* `monthly_report_pdf` lays a calendar month out on A4 with the fonts of
  `customers.printing` (DejaVu Sans: Armenian and Cyrillic print).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, LongTable, Spacer, TableStyle

from wateja.analytics import services as analytics
from wateja.analytics.services import (
    Cohorts,
    Dashboard,
    Filters,
    Period,
    PeriodFigures,
    PointsFigures,
)
from wateja.core.formatting import keep_together, reader_locale, zone_country
from wateja.core.localtime import local_date, local_start, local_today
from wateja.core.money import Money, MoneyError, format_money
from wateja.customers import printing
from wateja.customers.exporting import (
    CONTENT_TYPES,
    ExportFile,
    check_format,
    major_units,
    sheet_write,
    table_file,
    workbook_chunks,
)
from wateja.messaging.models import Campaign
from wateja.messaging.selectors import campaign_results, campaigns_list
from wateja.tenants.models import Business
from wateja.web.reports import charts

COHORT_MONTHS = 12  # the cohort heatmap and the retention curve: a year of first purchases
MAX_CAMPAIGNS = 20

# ---------------------------------------------------------------------------------------------
# Cells and tables

TEXT, DATE, MONTH, MONEY, COUNT = "text", "date", "month", "money", "count"
PERCENT, POINTS, CHANGE, RATIO, DAYS = "percent", "points", "change", "ratio", "days"


@dataclass(frozen=True)
class Cell:
    """A raw value and how to show it: money in minor units, rates in percent (0–100),
    POINTS a difference in percentage points, CHANGE a relative change in percent."""

    value: Any
    kind: str = TEXT


@dataclass(frozen=True)
class Column:
    header: str
    numeric: bool = False
    money: bool = False  # the export's header names the currency
    export_only: bool = False  # units for the spreadsheet, not shown on screen


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    explanation: str
    columns: tuple[Column, ...]
    rows: list[list[Cell]]
    note: str = ""

    def shown_header(self) -> list[tuple[str, bool]]:
        return [(c.header, c.numeric) for c in self.columns if not c.export_only]

    def shown_rows(
        self, currency: str, *, money: Callable[[int, str], str] | None = None
    ) -> list[list[tuple[str, bool]]]:
        keep = [i for i, c in enumerate(self.columns) if not c.export_only]
        money = money or money_text
        return [
            [(show(row[i], currency, money=money), self.columns[i].numeric) for i in keep]
            for row in self.rows
        ]

    def export_header(self, currency: str) -> list[str]:
        return [f"{c.header} ({currency})" if c.money else c.header for c in self.columns]

    def export_rows(self, currency: str) -> Iterator[list[object]]:
        for row in self.rows:
            yield [export_value(cell, currency) for cell in row]


def _locale() -> Locale:
    """The reader's language in the business's country (the active time zone's)."""
    return reader_locale(
        translation.get_language() or "en", zone_country(str(timezone.get_current_timezone()))
    )


def _fixed(value: float, digits: int) -> str:
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return keep_together(
        str(format_decimal(round(float(value), digits), pattern, locale=_locale()))
    )


def _signed(value: float, digits: int) -> str:
    return ("+" if value > 0 else "") + _fixed(value, digits)


def money_text(amount_minor: int, currency: str) -> str:
    try:
        return format_money(Money(int(amount_minor), currency), translation.get_language() or "en")
    except (MoneyError, ValueError, TypeError):
        return f"{amount_minor} {currency}"


def show(cell: Cell, currency: str, *, money: Callable[[int, str], str] = money_text) -> str:
    """A cell as people read it, in the active language; "—" for no value."""
    value, kind = cell.value, cell.kind
    if value is None:
        return "—"
    if kind == MONEY:
        return money(int(value), currency)
    if kind == COUNT:
        return _fixed(value, 0)
    if kind == PERCENT:
        return f"{_fixed(value, 1)}\u00a0%"
    if kind == POINTS:
        return _("%(change)s pts") % {"change": _signed(value, 1)}
    if kind == CHANGE:
        return f"{_signed(value, 1)}\u00a0%"
    if kind == RATIO:
        return _fixed(value, 2)
    if kind == DAYS:
        return _("%(days)s days") % {"days": _fixed(value, 1)}
    if kind == DATE:
        return str(format_date(value, "medium", locale=_locale()))
    if kind == MONTH:
        return str(format_date(value, "LLL y", locale=_locale()))
    return str(value)


def export_value(cell: Cell, currency: str) -> object:
    """A cell for a spreadsheet: numbers stay numbers (money in major units, exact)."""
    value, kind = cell.value, cell.kind
    if value is None:
        return None
    if kind == MONEY:
        return major_units(int(value), currency)
    if kind == COUNT:
        return int(value)
    if kind in (PERCENT, POINTS, CHANGE, DAYS):
        return Decimal(str(round(float(value), 2)))
    if kind == RATIO:
        return Decimal(str(round(float(value), 3)))
    if kind == DATE:
        return value.isoformat()
    if kind == MONTH:
        return value.strftime("%Y-%m")
    return str(value)


# ---------------------------------------------------------------------------------------------
# Headline figures: labels, one-line explanations, which way is good

# key: (label, what it means and what to do, +1 when up is good / -1 when down is good / 0)
FIGURES: dict[str, tuple[Promise, Promise, int]] = {
    "revenue_minor": (
        gettext_lazy("Revenue"),
        gettext_lazy(
            "What customers paid, less refunds. If it falls, check visits and the average "
            "order below."
        ),
        1,
    ),
    "orders": (
        gettext_lazy("Orders"),
        gettext_lazy("Number of sales. Fewer orders from the same customers: remind them to come."),
        1,
    ),
    "average_order_minor": (
        gettext_lazy("Average order"),
        gettext_lazy("Revenue per order. Raise it with bundles or a reward for a bigger basket."),
        1,
    ),
    "buyers": (
        gettext_lazy("Customers who bought"),
        gettext_lazy("Card holders who bought at least once in the period."),
        1,
    ),
    "new_customers": (
        gettext_lazy("New customers"),
        gettext_lazy(
            "First purchase in the period. Few new ones: invite walk-in buyers to join at the till."
        ),
        1,
    ),
    "customers_at_start": (
        gettext_lazy("Active at the start"),
        gettext_lazy("Customers who had bought recently when the period began."),
        1,
    ),
    "customers_at_end": (
        gettext_lazy("Active at the end"),
        gettext_lazy("Customers who had bought recently when the period ended."),
        1,
    ),
    "retention_rate": (
        gettext_lazy("Retention rate"),
        gettext_lazy(
            "Share of the customers active at the start who are still active. Falling: contact "
            "customers who stopped coming."
        ),
        1,
    ),
    "churn_rate": (
        gettext_lazy("Churn rate"),
        gettext_lazy(
            "Share of the customers active at the start who stopped buying. Rising: send the "
            "lost ones a win-back offer."
        ),
        -1,
    ),
    "repeat_purchase_rate": (
        gettext_lazy("Repeat purchase rate"),
        gettext_lazy(
            "Buyers who have bought more than once. Low: give a reason for a second visit."
        ),
        1,
    ),
    "purchase_frequency": (
        gettext_lazy("Orders per customer"),
        gettext_lazy("How often a card holder bought in the period."),
        1,
    ),
    "days_between_purchases": (
        gettext_lazy("Days between purchases"),
        gettext_lazy("Average gap between two visits. Growing: remind customers sooner."),
        -1,
    ),
    "member_revenue_share": (
        gettext_lazy("Members' share of revenue"),
        gettext_lazy(
            "Revenue from customers with a card. Low: ask every customer to join the program."
        ),
        1,
    ),
    "discount_minor": (
        gettext_lazy("Discounts given"),
        gettext_lazy("What promotions cost at the till. Compare with the revenue they brought."),
        0,
    ),
    "points_issued": (
        gettext_lazy("Points issued"),
        gettext_lazy("Points customers earned: a promise the business has to keep."),
        0,
    ),
    "points_redeemed": (
        gettext_lazy("Points redeemed"),
        gettext_lazy("Points customers spent on rewards: they value the program."),
        1,
    ),
    "points_expired": (
        gettext_lazy("Points expired"),
        gettext_lazy("Points nobody used in time. Many: remind customers before points expire."),
        -1,
    ),
    "redemption_rate": (
        gettext_lazy("Redemption rate"),
        gettext_lazy(
            "Points redeemed for every 100 issued. Low: rewards may be too far away or unknown."
        ),
        1,
    ),
    "breakage_rate": (
        gettext_lazy("Breakage rate"),
        gettext_lazy("Points expired for every 100 issued: rewards customers never took."),
        -1,
    ),
    "roi": (
        gettext_lazy("Program ROI"),
        gettext_lazy(
            "Extra margin from members for every unit the program cost. Below 1: it costs more "
            "than it brings, review the rewards."
        ),
        1,
    ),
}
# the tiles at the top of the dashboard; every figure is in the table below them
HEADLINE = (
    "revenue_minor",
    "orders",
    "average_order_minor",
    "new_customers",
    "retention_rate",
    "churn_rate",
    "repeat_purchase_rate",
    "member_revenue_share",
    "points_issued",
    "points_redeemed",
    "redemption_rate",
    "roi",
)
UNIT_KINDS = {
    "minor": MONEY,
    "count": COUNT,
    "percent": PERCENT,
    "days": DAYS,
    "ratio": RATIO,
}


def figure_label(key: str) -> str:
    entry = FIGURES.get(key)
    return str(entry[0]) if entry else key.replace("_", " ")


def change_cell(change: float | None, unit: str) -> Cell:
    return Cell(change, POINTS if unit == "percent" else CHANGE)


def tone(key: str, change: float | None) -> str:
    """ "good", "bad" or "" for a figure's change, by which way is good for it."""
    direction = FIGURES.get(key, ("", "", 0))[2]
    if change is None or change == 0 or direction == 0:
        return ""
    return "good" if (change > 0) == (direction > 0) else "bad"


# ---------------------------------------------------------------------------------------------
# Reading the data


@dataclass(frozen=True)
class Bucket:
    period: Period
    figures: PeriodFigures


@dataclass(frozen=True)
class Buckets:
    kind: str  # "day", "week", "month" or "year"
    items: list[Bucket]


@dataclass(frozen=True)
class CampaignRow:
    campaign_id: int
    name: str
    started: dt.date | None
    results: dict[str, Any]


@dataclass(frozen=True)
class Overview:
    business: Business
    period: Period
    filters: Filters
    dashboard: Dashboard
    buckets: Buckets
    points: PointsFigures
    cohorts: Cohorts
    campaigns: list[CampaignRow] = field(default_factory=list)


def bucket_kind(period: Period) -> str:
    """Days for up to two weeks, weeks up to 14 of them, months up to two years, then years."""
    if period.days <= 14:
        return "day"
    if period.days <= 98:
        return "week"
    if period.days <= 731:
        return "month"
    return "year"


def bucket_periods(period: Period, kind: str) -> list[Period]:
    """The period cut into days, weeks (from Monday), calendar months or years; the first
    and the last may be shorter."""
    result = []
    start = period.start
    while start <= period.end:
        if kind == "day":
            end = start
        elif kind == "week":
            end = start + dt.timedelta(days=6 - start.weekday())
        elif kind == "month":
            end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            end -= dt.timedelta(days=1)
        else:
            end = start.replace(month=12, day=31)
        end = min(end, period.end)
        result.append(Period(start, end))
        start = end + dt.timedelta(days=1)
    return result


def buckets_get(*, business: Business, period: Period, filters: Filters) -> Buckets:
    """The period's figures per day, week, month or year (members' revenue and expired points
    are not in `activity_get`'s days, so each bucket is one `figures_get`)."""
    kind = bucket_kind(period)
    return Buckets(
        kind,
        [
            Bucket(part, analytics.figures_get(business=business, period=part, filters=filters))
            for part in bucket_periods(period, kind)
        ],
    )


def cohort_period(period: Period) -> Period:
    """The cohorts the dashboard shows: customers who first bought in the twelve calendar
    months up to the period's end (a shorter period would hold too few of them)."""
    month = period.end.year * 12 + period.end.month - 1 - (COHORT_MONTHS - 1)
    first = dt.date(month // 12, month % 12 + 1, 1)
    return Period(max(first, analytics.EARLIEST), period.end)


def _bounds(business: Business, period: Period) -> tuple[dt.datetime, dt.datetime]:
    start = local_start(business.timezone, period.start)
    return start, local_start(business.timezone, period.end + dt.timedelta(days=1))


def campaigns_get(*, business: Business, period: Period) -> list[CampaignRow]:
    """Campaigns that started sending in the period (business-local days), newest first, with
    their results so far."""
    start, end = _bounds(business, period)
    found: list[Campaign] = list(
        campaigns_list(business.pk).filter(started_at__gte=start, started_at__lt=end)[
            :MAX_CAMPAIGNS
        ]
    )
    return [
        CampaignRow(
            campaign_id=campaign.pk,
            name=campaign.name,
            started=local_date(campaign.started_at, business.timezone)
            if campaign.started_at
            else None,
            results=campaign_results(campaign),
        )
        for campaign in found
    ]


def overview_get(*, business: Business, period: Period, filters: Filters) -> Overview:
    return Overview(
        business=business,
        period=period,
        filters=filters,
        dashboard=analytics.dashboard_get(business=business, period=period, filters=filters),
        buckets=buckets_get(business=business, period=period, filters=filters),
        points=analytics.points_get(business=business, period=period, filters=filters),
        cohorts=analytics.cohorts_get(
            business=business,
            period=cohort_period(period),
            filters=filters,
            months=COHORT_MONTHS,
        ),
        campaigns=campaigns_get(business=business, period=period),
    )


# ---------------------------------------------------------------------------------------------
# The tables

TABLE_KEYS = ("figures", "revenue", "points", "retention", "cohorts", "campaigns")

EXPLANATIONS = {
    "figures": gettext_lazy(
        "Every figure of the period beside the previous period of the same length. Look at "
        "the biggest changes first."
    ),
    "revenue": gettext_lazy(
        "Revenue from card holders and from everyone else. If members bring a small part, "
        "offer the card to every customer at the till."
    ),
    "points": gettext_lazy(
        "Points customers earned, spent and let expire. Many expiring points: remind "
        "customers of their balance and make the first reward easier to reach."
    ),
    "retention": gettext_lazy(
        "Of the customers who first bought in a month, the share who bought again 1, 2, 3 … "
        "months later. A steep drop after the first month: welcome new customers and give "
        "them a reason to return."
    ),
    "cohorts": gettext_lazy(
        "Each row is the customers who first bought in that month; each cell, the share of "
        "them who bought again that many months later. Darker is better: compare the rows to "
        "see whether newer customers stay longer."
    ),
    "campaigns": gettext_lazy(
        "Campaigns sent in the period and what they brought so far. Repeat the ones whose "
        "revenue is well above their cost; the uplift compares with the customers held back."
    ),
}
TITLES = {
    "figures": gettext_lazy("All figures"),
    "revenue": gettext_lazy("Revenue: members and others"),
    "points": gettext_lazy("Points issued, redeemed and expired"),
    "retention": gettext_lazy("Retention curve"),
    "cohorts": gettext_lazy("Cohorts by month of first purchase"),
    "campaigns": gettext_lazy("Campaign results"),
}


def _table(key: str, columns: Sequence[Column], rows: list[list[Cell]], note: str = "") -> Table:
    return Table(key, str(TITLES[key]), str(EXPLANATIONS[key]), tuple(columns), rows, note)


def figures_table(dashboard: Dashboard, points: PointsFigures | None = None) -> Table:
    columns = (
        Column(_("Figure")),
        Column(_("This period"), numeric=True),
        Column(_("Previous period"), numeric=True),
        Column(pgettext("column of figures", "Change"), numeric=True),
        Column(_("Unit"), export_only=True),
        Column(_("Change unit"), export_only=True),
    )
    units = {
        "minor": dashboard.currency,
        "percent": "%",
        "days": _("days"),
        "count": "",
        "ratio": "",
    }
    rows = []
    keys = [k for k in FIGURES if k in dashboard.figures]
    keys += [k for k in dashboard.figures if k not in FIGURES]
    for key in keys:
        figure = dashboard.figures[key]
        kind = UNIT_KINDS.get(figure.unit, COUNT)
        change = change_cell(figure.change, figure.unit)
        rows.append(
            [
                Cell(figure_label(key)),
                Cell(figure.value, kind),
                Cell(figure.previous, kind),
                change,
                Cell(units.get(figure.unit, "")),
                Cell(
                    ""
                    if figure.change is None
                    else (pgettext("percentage points", "pts") if change.kind == POINTS else "%")
                ),
            ]
        )
    if points is not None:
        for label, value, kind in (
            (_("Ultimate redemption rate"), points.ultimate_redemption_rate, PERCENT),
            (_("Open points"), points.open_points, COUNT),
            (_("Expected cost of open points"), points.liability_minor, MONEY),
        ):
            unit = {PERCENT: "%", MONEY: dashboard.currency}.get(kind, "")
            rows.append(
                [Cell(label), Cell(value, kind), Cell(None), Cell(None), Cell(unit), Cell("")]
            )
    return _table("figures", columns, rows)


def revenue_table(buckets: Buckets) -> Table:
    columns = (
        Column(_("From")),
        Column(_("To")),
        Column(_("Orders"), numeric=True),
        Column(_("Revenue"), numeric=True, money=True),
        Column(_("Members"), numeric=True, money=True),
        Column(_("Others"), numeric=True, money=True),
        Column(_("Members' share"), numeric=True),
    )
    rows = [
        [
            Cell(b.period.start, DATE),
            Cell(b.period.end, DATE),
            Cell(b.figures.orders, COUNT),
            Cell(b.figures.revenue_minor, MONEY),
            Cell(b.figures.member_revenue_minor, MONEY),
            Cell(b.figures.revenue_minor - b.figures.member_revenue_minor, MONEY),
            Cell(b.figures.member_revenue_share, PERCENT),
        ]
        for b in buckets.items
    ]
    return _table("revenue", columns, rows)


def points_table(buckets: Buckets, points: PointsFigures | None = None) -> Table:
    columns = (
        Column(_("From")),
        Column(_("To")),
        Column(_("Issued"), numeric=True),
        Column(_("Redeemed"), numeric=True),
        Column(_("Expired"), numeric=True),
        Column(_("Redemption rate"), numeric=True),
        Column(_("Breakage rate"), numeric=True),
    )
    rows = [
        [
            Cell(b.period.start, DATE),
            Cell(b.period.end, DATE),
            Cell(b.figures.points_issued, COUNT),
            Cell(b.figures.points_redeemed, COUNT),
            Cell(b.figures.points_expired, COUNT),
            Cell(b.figures.redemption_rate, PERCENT),
            Cell(b.figures.breakage_rate, PERCENT),
        ]
        for b in buckets.items
    ]
    note = ""
    if points is not None and points.ultimate_redemption_rate is not None:
        note = _(
            "Ultimate redemption rate (points redeemed so far and expected to be redeemed, "
            "for every 100 issued): %(rate)s."
        ) % {"rate": show(Cell(points.ultimate_redemption_rate, PERCENT), points.currency)}
    elif points is not None:
        note = str(points.notes.get("ultimate_redemption_rate", ""))
    return _table("points", columns, rows, note)


def retention_table(cohorts: Cohorts) -> Table:
    columns = (
        Column(_("Months after the first purchase"), numeric=True),
        Column(_("Cohorts"), numeric=True),
        Column(_("Customers in them"), numeric=True),
        Column(_("Bought that month"), numeric=True),
        Column(_("Share"), numeric=True),
    )
    rows = [
        [
            Cell(p.offset, COUNT),
            Cell(p.cohorts, COUNT),
            Cell(p.base, COUNT),
            Cell(p.customers, COUNT),
            Cell(p.rate, PERCENT),
        ]
        for p in cohorts.curve
    ]
    return _table("retention", columns, rows, _cohort_note(cohorts))


def _cohort_note(cohorts: Cohorts) -> str:
    return _("Customers who first bought from %(start)s to %(end)s.") % {
        "start": show(Cell(cohorts.period.start, DATE), cohorts.currency),
        "end": show(Cell(cohorts.period.end, DATE), cohorts.currency),
    }


def cohort_width(cohorts: Cohorts) -> int:
    return max((len(row.rates) for row in cohorts.rows), default=0)


def cohorts_table(cohorts: Cohorts) -> Table:
    width = cohort_width(cohorts)
    columns = [Column(_("First purchase")), Column(_("Customers"), numeric=True)]
    columns += [Column(_("Month %(number)s") % {"number": n}, numeric=True) for n in range(width)]
    rows = [
        [Cell(row.cohort, MONTH), Cell(row.size, COUNT)]
        + [Cell(row.rates[n] if n < len(row.rates) else None, PERCENT) for n in range(width)]
        for row in cohorts.rows
    ]
    return _table("cohorts", columns, rows, _cohort_note(cohorts))


def campaigns_table(campaigns: list[CampaignRow]) -> Table:
    columns = (
        Column(_("Campaign")),
        Column(_("Started")),
        Column(_("Reached"), numeric=True),
        Column(_("Clicked"), numeric=True),
        Column(_("Bought"), numeric=True),
        Column(_("Revenue"), numeric=True, money=True),
        Column(_("Message cost"), numeric=True, money=True),
        Column(_("Uplift vs held back"), numeric=True),
    )
    rows = []
    for row in campaigns:
        r = row.results
        uplift = r.get("uplift") or {}
        rows.append(
            [
                Cell(row.name),
                Cell(row.started, DATE),
                Cell(r.get("reached", 0), COUNT),
                Cell(r.get("clicked", 0), COUNT),
                Cell(r.get("converted", 0), COUNT),
                Cell(r.get("revenue_minor", 0), MONEY),
                Cell(r.get("cost_minor", 0), MONEY),
                Cell(uplift.get("points"), POINTS),
            ]
        )
    note = _("Campaigns are not narrowed by location or customer filters.")
    return _table("campaigns", columns, rows, note)


def overview_tables(overview: Overview) -> dict[str, Table]:
    return {
        "figures": figures_table(overview.dashboard, overview.points),
        "revenue": revenue_table(overview.buckets),
        "points": points_table(overview.buckets, overview.points),
        "retention": retention_table(overview.cohorts),
        "cohorts": cohorts_table(overview.cohorts),
        "campaigns": campaigns_table(overview.campaigns),
    }


def table_get(*, key: str, business: Business, period: Period, filters: Filters) -> Table:
    """One table, reading only what it needs. `key` is one of TABLE_KEYS (else KeyError)."""
    if key == "figures":
        return figures_table(
            analytics.dashboard_get(business=business, period=period, filters=filters),
            analytics.points_get(business=business, period=period, filters=filters),
        )
    if key in ("revenue", "points"):
        buckets = buckets_get(business=business, period=period, filters=filters)
        if key == "revenue":
            return revenue_table(buckets)
        return points_table(
            buckets, analytics.points_get(business=business, period=period, filters=filters)
        )
    if key in ("retention", "cohorts"):
        cohorts = analytics.cohorts_get(
            business=business, period=cohort_period(period), filters=filters, months=COHORT_MONTHS
        )
        return retention_table(cohorts) if key == "retention" else cohorts_table(cohorts)
    if key == "campaigns":
        return campaigns_table(campaigns_get(business=business, period=period))
    raise KeyError(key)


# ---------------------------------------------------------------------------------------------
# Downloads


def _stem(key: str, business: Business, period: Period) -> str:
    return f"{business.slug}-{key}-{period.start.isoformat()}-{period.end.isoformat()}"


def table_export(table: Table, fmt: str, *, business: Business, period: Period) -> ExportFile:
    """One table as CSV (UTF-8 with BOM) or XLSX: raw values, money in major units."""
    currency = business.currency
    return table_file(
        fmt,
        _stem(table.key, business, period),
        table.export_header(currency),
        table.export_rows(currency),
        title=table.title,
    )


def workbook_export(tables: Sequence[Table], *, business: Business, period: Period) -> ExportFile:
    """Every table in one XLSX workbook, a sheet each."""
    from openpyxl import Workbook

    check_format("xlsx")
    currency = business.currency
    workbook = Workbook(write_only=True)
    used: set[str] = set()
    for table in tables:
        title = "".join(ch for ch in table.title if ch not in "[]:*?/\\")[:31] or table.key
        if title in used:
            title = table.key[:31]
        used.add(title)
        sheet_write(workbook, title, table.export_header(currency), table.export_rows(currency))
    return ExportFile(
        f"{_stem('report', business, period)}.xlsx",
        CONTENT_TYPES["xlsx"],
        workbook_chunks(workbook),
    )


# ---------------------------------------------------------------------------------------------
# The monthly PDF report


class MonthInvalid(analytics.PeriodInvalid):
    code = "month_invalid"


def month_period(*, business: Business, month: str, today: dt.date | None = None) -> Period:
    """A calendar month ("2026-10") as a period, up to today when it is the current month.
    A malformed month, a future month or one before 2000 is refused with a message."""
    try:
        first = dt.datetime.strptime(month.strip(), "%Y-%m").date()
    except ValueError:
        raise MonthInvalid.fields(
            _("The month is not valid."), {"month": _("Enter a month as YYYY-MM.")}
        ) from None
    last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    today = today or local_today(business.timezone)
    if first > today:
        raise MonthInvalid(
            _("This month has not started yet: choose %(month)s or earlier.")
            % {"month": today.strftime("%Y-%m")},
            code="month_in_future",
        )
    return analytics.period_parse(business=business, start=first, end=min(last, today), today=today)


class _Bars(Flowable):  # type: ignore[misc]
    """A small bar chart drawn straight on the canvas in DejaVu Sans (a reportlab Drawing
    would bring Helvetica, which has no Armenian)."""

    def __init__(
        self,
        labels: Sequence[str],
        series: Sequence[tuple[str, Sequence[float], colors.Color]],
        *,
        stacked: bool,
        tick_format: Callable[[float], str],
        width: float,
        height: float = 55 * mm,
    ) -> None:
        super().__init__()
        self.labels, self.series, self.stacked = list(labels), list(series), stacked
        self.tick_format = tick_format
        self.width, self.height = width, height

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        count = len(self.labels)
        if not count:
            return
        left, bottom, top = 18 * mm, 8 * mm, self.height - 9 * mm
        right = self.width - 2 * mm
        if self.stacked:
            highs = [sum(max(s[1][i], 0) for s in self.series) for i in range(count)]
            lows = [sum(min(s[1][i], 0) for s in self.series) for i in range(count)]
        else:
            highs = [max([0.0, *(s[1][i] for s in self.series)]) for i in range(count)]
            lows = [min([0.0, *(s[1][i] for s in self.series)]) for i in range(count)]
        ticks = charts.nice_ticks(min([0.0, *lows]), max([0.0, *highs]))
        lo, hi = ticks[0], ticks[-1]

        def y_of(value: float) -> float:
            return float(bottom + (value - lo) / (hi - lo) * (top - bottom))

        canvas.saveState()
        canvas.setFont(printing.SANS, 6.5)
        for tick in ticks:
            canvas.setStrokeColor(printing.LINE)
            canvas.setLineWidth(0.4)
            canvas.line(left, y_of(tick), right, y_of(tick))
            canvas.setFillColor(printing.MUTED)
            canvas.drawRightString(left - 1.5 * mm, y_of(tick) - 2, self.tick_format(tick))
        band = (right - left) / count
        gap = min(band * 0.25, 4 * mm)
        bar = band - gap if self.stacked else (band - gap) / len(self.series)
        step = max(1, -(-count * 14 * mm // (right - left)))
        for i, label in enumerate(self.labels):
            x0 = left + i * band + gap / 2
            up = down = 0.0
            for n, (_name, values, color) in enumerate(self.series):
                value = values[i]
                if self.stacked:
                    base = up if value >= 0 else down
                    if value >= 0:
                        up += value
                    else:
                        down += value
                    x = x0
                else:
                    base, x = 0.0, x0 + n * bar
                y1, y2 = sorted((y_of(base), y_of(base + value)))
                canvas.setFillColor(color)
                canvas.rect(x, y1, bar, y2 - y1, stroke=0, fill=1)
            if i % step == 0:
                canvas.setFillColor(printing.MUTED)
                canvas.drawCentredString(left + (i + 0.5) * band, bottom - 3.5 * mm, label)
        x = left
        canvas.setFont(printing.SANS, 7)
        for name, _values, color in self.series:
            canvas.setFillColor(color)
            canvas.rect(x, self.height - 5 * mm, 3 * mm, 3 * mm, stroke=0, fill=1)
            canvas.setFillColor(printing.INK)
            canvas.drawString(x + 4 * mm, self.height - 4.6 * mm, name)
            x += 8 * mm + canvas.stringWidth(name, printing.SANS, 7)
        canvas.restoreState()


def _pdf_grid(
    table: Table, currency: str, styles: dict[str, Any], first_width: float, *, tiny: bool = False
) -> Any:
    header = table.shown_header()
    rows = table.shown_rows(currency, money=_pdf_money)
    free = (printing.FRAME_WIDTH - first_width) / max(len(header) - 1, 1)
    widths = [first_width] + [free] * (len(header) - 1)
    text, right = (
        (styles["tiny"], styles["tiny-right"]) if tiny else (styles["cell"], styles["right"])
    )
    data: list[list[Any]] = [
        [printing.paragraph(h, styles["tiny"] if tiny else styles["small"]) for h, _n in header]
    ]
    data += [
        [printing.paragraph(cell, right if numeric else text) for cell, numeric in row]
        for row in rows
    ]
    padding = 0.6 * mm if tiny else 1.2 * mm
    grid = LongTable(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    grid.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), printing.SANS, 8),  # else Helvetica is embedded
                ("BACKGROUND", (0, 0), (-1, 0), printing.BRAND_TINT),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, printing.BRAND),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, printing.LINE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), padding),
                ("RIGHTPADDING", (0, 0), (-1, -1), padding),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, printing.ZEBRA]),
            ]
        )
    )
    return grid


def _pdf_money(amount_minor: int, currency: str) -> str:
    return printing.money_text(amount_minor, currency)


def bucket_label(start: dt.date, kind: str) -> str:
    if kind == "year":
        return str(start.year)
    if kind == "month":
        return str(format_date(start, "LLL yy", locale=_locale()))
    return str(format_date(start, "d MMM", locale=_locale()))


def compact_formatter(largest: float) -> Callable[[float], str]:
    """Axis numbers short enough for a phone, all with the same suffix, chosen by the largest
    value: 950 · 2,500; 15k · 20k; 0.5M · 1.25M (babel's compact forms are wrong for Swahili,
    so the suffixes are ours, translatable)."""
    size = abs(largest)
    if size >= 1_000_000:
        divisor, pattern = 1_000_000, _("%(number)sM")
    elif size >= 10_000:
        divisor, pattern = 1_000, _("%(number)sk")
    else:
        divisor, pattern = 1, "%(number)s"

    def text(value: float) -> str:
        if value == 0:
            return "0"
        scaled = value / divisor
        digits = next((d for d in (0, 1, 2) if round(scaled, d) == round(scaled, 6)), 2)
        return pattern % {"number": _fixed(scaled, digits)}

    return text


def money_major(amount_minor: float, currency: str) -> float:
    return float(major_units(round(amount_minor), currency))


def monthly_report_pdf(
    *, overview: Overview, tables: dict[str, Table], filters_text: str = ""
) -> bytes:
    """The month's report on A4: headline figures against the previous period with what each
    means, revenue from members and others, points, retention, cohorts and campaigns."""
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    business, board = overview.business, overview.dashboard
    currency = business.currency
    styles = dict(printing.pdf_styles())
    styles["right"] = ParagraphStyle("right", parent=styles["cell"], alignment=TA_RIGHT)
    styles["h2-free"] = ParagraphStyle("h2-free", parent=styles["h2"], keepWithNext=0)
    styles["tiny"] = ParagraphStyle("tiny", parent=styles["cell"], fontSize=7, leading=8.5)
    styles["tiny-right"] = ParagraphStyle("tiny-right", parent=styles["tiny"], alignment=TA_RIGHT)
    p = printing.paragraph
    month = str(format_date(overview.period.start, "LLLL y", locale=_locale()))
    title = _("Monthly report: %(month)s") % {"month": month}
    printed = str(
        printing.datetime_text(timezone.now(), business)  # business time zone
    )
    period_line = _(
        "%(start)s to %(end)s, compared with %(previous_start)s to %(previous_end)s"
    ) % {
        "start": show(Cell(board.period.start, DATE), currency),
        "end": show(Cell(board.period.end, DATE), currency),
        "previous_start": show(Cell(board.previous_period.start, DATE), currency),
        "previous_end": show(Cell(board.previous_period.end, DATE), currency),
    }
    story: list[Any] = [
        p(title, styles["title"]),
        p(business.name, styles["body"]),
        p(period_line, styles["muted"]),
    ]
    if filters_text:
        story.append(p(filters_text, styles["muted"]))
    story.append(p(_("Printed %(when)s") % {"when": printed}, styles["muted"]))

    # headline figures, each with its one-line explanation
    story.append(p(_("Headline figures"), styles["h2-free"]))
    rows: list[list[Any]] = [
        [
            p(_("Figure"), styles["small"]),
            p(_("This month"), styles["small"]),
            p(_("Previous period"), styles["small"]),
            p(pgettext("column of figures", "Change"), styles["small"]),
        ]
    ]
    for key in FIGURES:
        figure = board.figures.get(key)
        if figure is None:
            continue
        kind = UNIT_KINDS.get(figure.unit, COUNT)
        value = (
            show(Cell(figure.value, kind), currency, money=_pdf_money)
            if figure.value is not None
            else _("not enough data")
        )
        rows.append(
            [
                [p(figure_label(key), styles["cell"]), p(str(FIGURES[key][1]), styles["muted"])],
                p(value, styles["right"]),
                p(show(Cell(figure.previous, kind), currency, money=_pdf_money), styles["right"]),
                p(show(change_cell(figure.change, figure.unit), currency), styles["right"]),
            ]
        )
    widths = [100 * mm, 28 * mm, 28 * mm]
    widths.append(printing.FRAME_WIDTH - sum(widths))
    grid = LongTable(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    grid.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), printing.SANS, 8),  # else Helvetica is embedded
                ("BACKGROUND", (0, 0), (-1, 0), printing.BRAND_TINT),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, printing.BRAND),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, printing.LINE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 1.2 * mm),
                ("RIGHTPADDING", (0, 0), (-1, -1), 1.2 * mm),
            ]
        )
    )
    story.append(grid)

    # revenue and points, each a small chart over its table
    items = overview.buckets.items
    labels = [bucket_label(b.period.start, overview.buckets.kind) for b in items]

    revenue = tables["revenue"]
    members = [money_major(b.figures.member_revenue_minor, currency) for b in items]
    others = [
        money_major(b.figures.revenue_minor - b.figures.member_revenue_minor, currency)
        for b in items
    ]
    money_tick = compact_formatter(max([0.0, *members, *others], key=abs))
    section: list[Any] = [
        p(revenue.title + f" ({currency})", styles["h2"]),
        p(revenue.explanation, styles["muted"]),
        Spacer(1, 2 * mm),
    ]
    if any(members) or any(others):
        section.append(
            _Bars(
                labels,
                [
                    (_("Members"), members, printing.BRAND),
                    (_("Others"), others, colors.HexColor(charts.PALETTE[1])),
                ],
                stacked=True,
                tick_format=money_tick,
                width=printing.FRAME_WIDTH,
            )
        )
    story.append(KeepTogether(section))
    story.append(_pdf_grid(revenue, currency, styles, 24 * mm))

    points = tables["points"]
    issued = [float(b.figures.points_issued) for b in items]
    redeemed = [float(b.figures.points_redeemed) for b in items]
    expired = [float(b.figures.points_expired) for b in items]
    section = [p(points.title, styles["h2"]), p(points.explanation, styles["muted"])]
    if any(issued) or any(redeemed) or any(expired):
        section.append(Spacer(1, 2 * mm))
        section.append(
            _Bars(
                labels,
                [
                    (_("Issued"), issued, printing.BRAND),
                    (_("Redeemed"), redeemed, colors.HexColor(charts.PALETTE[2])),
                    (_("Expired"), expired, colors.HexColor(charts.PALETTE[3])),
                ],
                stacked=False,
                tick_format=compact_formatter(max([0.0, *issued, *redeemed, *expired])),
                width=printing.FRAME_WIDTH,
            )
        )
    story.append(KeepTogether(section))
    story.append(_pdf_grid(points, currency, styles, 24 * mm))
    if points.note:
        story.append(p(points.note, styles["muted"]))

    for key in ("retention", "cohorts", "campaigns"):
        table = tables[key]
        block: list[Any] = [p(table.title, styles["h2"]), p(table.explanation, styles["muted"])]
        if table.note:
            block.append(p(table.note, styles["muted"]))
        block.append(Spacer(1, 2 * mm))
        if table.rows:
            first = {"retention": 40 * mm, "cohorts": 18 * mm, "campaigns": 40 * mm}[key]
            block.append(_pdf_grid(table, currency, styles, first, tiny=key == "cohorts"))
        else:
            block.append(p(empty_text(key), styles["body"]))
        # a short table stays with its heading; a long one starts where the heading is
        story.extend([KeepTogether(block)] if len(table.rows) <= 25 else block)

    notes = {**board.notes, **overview.points.notes}
    if notes:
        story.append(p(_("Notes"), styles["h2"]))
        for text in dict.fromkeys(str(v) for v in notes.values()):
            story.append(p(f"• {text}", styles["body"]))
    return printing.build_pdf(
        story,
        business=business,
        title=title,
        footer_text=f"{business.name} · {title} · {printed}",
    )


def empty_text(key: str) -> str:
    texts = {
        "revenue": _("No sales in this period."),
        "points": _("No points moved in this period."),
        "retention": _("Not enough data: no customer made a first purchase in these months."),
        "cohorts": _("Not enough data: no customer made a first purchase in these months."),
        "campaigns": _("No campaign was sent in this period."),
        "figures": _("No figures for this period."),
    }
    return texts.get(key, "")
