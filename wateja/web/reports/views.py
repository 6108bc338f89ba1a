"""The analytics dashboard ("Reports"): headline figures against the previous period, charts
drawn as inline SVG on the server, every table downloadable as CSV/XLSX, and the monthly PDF
report. Owners and managers only: the figures show the business's revenue and margins.

Views parse the query (period, location, saved segment, customer group), call
`wateja.analytics.services` through `dashboard_export`, and render; a bad period or another
business's id comes back as the page with a plain message (422 / 404), never a 500. They read
from the read replica when one is configured (wateja/dbrouting.py); their writes (the audit
log) still go to the primary.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from wateja.analytics import services as analytics
from wateja.analytics.headline import headline_get
from wateja.analytics.rfm import RFM_LABELS
from wateja.analytics.value import clv_summary
from wateja.core.errors import DomainError
from wateja.core.localtime import local_today
from wateja.core.metrics import RFM_SEGMENTS
from wateja.core.money import currency_exponent
from wateja.customers.exporting import FORMATS
from wateja.customers.models import Segment
from wateja.dbrouting import reporting, reporting_chunks
from wateja.tenants.models import Business, Location
from wateja.tenants.roles import Role
from wateja.tenants.services import audit_record
from wateja.web.permissions import staff_required
from wateja.web.reports import background as jobs
from wateja.web.reports import charts
from wateja.web.reports import dashboard_export as board
from wateja.web.reports.dashboard_export import COUNT, PERCENT, Cell, Overview, Table, show

TEMPLATE = "web/reports/page.html"
PARAMS = ("start", "end", "location", "segment", "rfm")
FILTER_PARAMS = ("location", "segment", "rfm")
_VALUE_ONLY = re.compile(r"^[\d-]+$")  # a field "problem" that is only a date or a number


def _business(request: HttpRequest) -> Business:
    return request.business  # type: ignore[attr-defined,no-any-return]


def _query(request: HttpRequest) -> dict[str, str]:
    return {key: request.GET.get(key, "").strip() for key in PARAMS}


def _parse(business: Business, query: dict[str, str]) -> tuple[analytics.Period, analytics.Filters]:
    period = analytics.period_parse(
        business=business, start=query["start"] or None, end=query["end"] or None
    )
    return period, _filters(business, query)


def _filters(business: Business, query: dict[str, str]) -> analytics.Filters:
    return analytics.filters_parse(
        business=business,
        location=query["location"] or None,
        segment=query["segment"] or None,
        rfm=query["rfm"] or None,
    )


def _field_labels() -> dict[str, str]:
    return {
        "start": _("From"),
        "end": _("To"),
        "location": _("Location"),
        "segment": _("Segment"),
        "rfm": _("Customer group"),
        "month": _("Month"),
    }


def _problems(error: DomainError) -> list[str]:
    """The error's message, then the field problems worth reading (some errors name only the
    value they expected, which the message already says)."""
    labels = _field_labels()
    lines = [str(error.message)]
    for name, problems in error.details.get("fields", {}).items():
        for problem in problems:
            if not _VALUE_ONLY.match(str(problem)):
                lines.append(f"{labels.get(name, name)}: {problem}")
    return lines


def _choices(business: Business) -> dict[str, Any]:
    return {
        "locations": list(Location.objects.for_business(business).order_by("name")),
        "segments": list(Segment.objects.for_business(business).order_by("name")),
        "rfm_choices": [(name, str(RFM_LABELS[name])) for name in RFM_SEGMENTS],
    }


def _presets(today: dt.date, query: dict[str, str]) -> list[dict[str, Any]]:
    first_of_month = today.replace(day=1)
    last_month_end = first_of_month - dt.timedelta(days=1)
    spans = [
        (_("Last 7 days"), today - dt.timedelta(days=6), today),
        (_("Last 30 days"), today - dt.timedelta(days=29), today),
        (_("This month"), first_of_month, today),
        (_("Last month"), last_month_end.replace(day=1), last_month_end),
        (_("Last 12 months"), today - dt.timedelta(days=364), today),
    ]
    kept = {k: query[k] for k in FILTER_PARAMS if query.get(k)}
    return [
        {
            "label": label,
            "query": urlencode({"start": start.isoformat(), "end": end.isoformat(), **kept}),
            "current": query.get("start") == start.isoformat()
            and query.get("end") == end.isoformat(),
        }
        for label, start, end in spans
    ]


def _base_context(business: Business, query: dict[str, str]) -> dict[str, Any]:
    today = timezone.localdate()  # the business's time zone, set by the middleware
    return {
        "query": query,
        "today": today,
        "presets": _presets(today, query),
        "month": today.strftime("%Y-%m"),
        **_choices(business),
    }


def _problem_page(
    request: HttpRequest, business: Business, query: dict[str, str], error: DomainError
) -> HttpResponse:
    context = _base_context(business, query)
    context["problems"] = _problems(error)
    context["invalid"] = set(error.details.get("fields", {}))
    return render(request, TEMPLATE, context, status=error.status)


# ---------------------------------------------------------------------------------------------
# Headline tiles and charts (presentation only: every number comes from the services)


def _tiles(overview: Overview) -> list[dict[str, Any]]:
    dashboard = overview.dashboard
    currency = dashboard.currency
    tiles = []
    for key in board.HEADLINE:
        figure = dashboard.figures.get(key)
        if figure is None:
            continue
        kind = board.UNIT_KINDS.get(figure.unit, COUNT)
        label, explanation, _direction = board.FIGURES[key]
        value = None if figure.value is None else show(Cell(figure.value, kind), currency)
        tiles.append(
            {
                "key": key,
                "label": str(label),
                "explanation": str(explanation),
                "value": value,
                "long": value is not None and len(value) > 11,
                "previous": show(Cell(figure.previous, kind), currency),
                "change": ""
                if figure.change is None
                else show(board.change_cell(figure.change, figure.unit), currency),
                "tone": board.tone(key, figure.change),
                "note": str(dashboard.notes.get(key, "")) or _over_a_hundred(dashboard, key),
            }
        )
    return tiles


# shares of the points issued in the period that can pass 100 (points earned before it are
# redeemed or expire in it too): shown with their counts, explained where they stand
SHARES_OF_ISSUED = {
    "redemption_rate": "points_redeemed",
    "breakage_rate": "points_expired",
}


def _over_a_hundred(dashboard: Any, key: str) -> str:
    figure = dashboard.figures.get(key)
    part = dashboard.figures.get(SHARES_OF_ISSUED.get(key, ""))
    issued = dashboard.figures.get("points_issued")
    if figure is None or part is None or issued is None or (figure.value or 0) <= 100:
        return ""
    return _(
        "Above 100: %(part)s points against %(issued)s issued in the period, because points "
        "earned before it count too."
    ) % {
        "part": show(Cell(part.value, COUNT), dashboard.currency),
        "issued": show(Cell(issued.value, COUNT), dashboard.currency),
    }


def _money_formats(currency: str, amounts_minor: list[int]) -> tuple[charts.Format, charts.Format]:
    """Exact money for hover titles; short numbers in major units for the axis."""
    scale = 10 ** currency_exponent(currency)
    short = board.compact_formatter(max([0, *amounts_minor], key=abs) / scale)

    def value(amount_minor: float) -> str:
        return board.money_text(round(amount_minor), currency)

    def tick(amount_minor: float) -> str:
        return short(amount_minor / scale)

    return value, tick


def _percent(value: float) -> str:
    return show(Cell(value, PERCENT), "")


def _count(value: float) -> str:
    return show(Cell(value, COUNT), "")


def _svg(markup: str) -> str:
    return mark_safe(markup)  # noqa: S308 - charts.py escapes every text it draws


def _revenue_chart(overview: Overview) -> str:
    currency = overview.business.currency
    items = overview.buckets.items
    members = [b.figures.member_revenue_minor for b in items]
    others = [b.figures.revenue_minor - b.figures.member_revenue_minor for b in items]
    value, tick = _money_formats(currency, [b.figures.revenue_minor for b in items] + others)
    labels = [board.bucket_label(b.period.start, overview.buckets.kind) for b in items]
    return _svg(
        charts.bar_chart(
            chart_id="chart-revenue",
            title=str(board.TITLES["revenue"]),
            description=_("Revenue per %(bucket)s in %(currency)s, members and others.")
            % {"bucket": _bucket_name(overview.buckets.kind), "currency": currency},
            labels=labels,
            series=[charts.Series(_("Members"), members), charts.Series(_("Others"), others)],
            value_format=value,
            tick_format=tick,
            empty_text=board.empty_text("revenue"),
            partial=_partial_notes(overview),
        )
    )


def _partial_notes(overview: Overview) -> list[str]:
    """Per bucket, "so far" when it is the week, month or year still running (its figures are
    not a drop, only unfinished), "partial" when the period cuts it short; "" when whole."""
    today = local_today(overview.business.timezone)
    kind = overview.buckets.kind
    notes = []
    for bucket in overview.buckets.items:
        start, end = bucket.period.start, bucket.period.end
        if kind == "week":
            monday = start - dt.timedelta(days=start.weekday())
            whole = (monday, monday + dt.timedelta(days=6))
        elif kind == "month":
            first = start.replace(day=1)
            last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            whole = (first, last - dt.timedelta(days=1))
        elif kind == "year":
            whole = (start.replace(month=1, day=1), start.replace(month=12, day=31))
        else:
            whole = (start, end)
        if (start, end) == whole:
            notes.append("")
        elif end >= today and whole[1] > today:
            notes.append(_("so far"))
        else:
            notes.append(_("partial"))
    return notes


def _bucket_name(kind: str) -> str:
    return {"day": _("day"), "week": _("week"), "month": _("month"), "year": _("year")}[kind]


def _points_chart(overview: Overview) -> str:
    items = overview.buckets.items
    issued = [b.figures.points_issued for b in items]
    redeemed = [b.figures.points_redeemed for b in items]
    expired = [b.figures.points_expired for b in items]
    labels = [board.bucket_label(b.period.start, overview.buckets.kind) for b in items]
    return _svg(
        charts.bar_chart(
            chart_id="chart-points",
            title=str(board.TITLES["points"]),
            description=_("Points per %(bucket)s: issued, redeemed and expired.")
            % {"bucket": _bucket_name(overview.buckets.kind)},
            labels=labels,
            series=[
                charts.Series(_("Issued"), issued),
                charts.Series(_("Redeemed"), redeemed, charts.PALETTE[2]),
                charts.Series(_("Expired"), expired, charts.PALETTE[3]),
            ],
            stacked=False,
            value_format=_count,
            tick_format=board.compact_formatter(max([0, *issued, *redeemed, *expired])),
            empty_text=board.empty_text("points"),
            partial=_partial_notes(overview),
        )
    )


def _retention_chart(overview: Overview) -> str:
    curve = overview.cohorts.curve
    return _svg(
        charts.line_chart(
            chart_id="chart-retention",
            title=str(board.TITLES["retention"]),
            description=_("Share of customers buying again, by months after their first purchase."),
            labels=[str(point.offset) for point in curve],
            series=[charts.Series(_("Bought again"), [point.rate for point in curve])],
            value_format=_percent,
            tick_format=lambda v: f"{v:.0f}%",
            y_min=0,
            y_max=100,
            empty_text=board.empty_text("retention"),
        )
    )


def _short_percent(rate: float | None) -> str:
    return "" if rate is None else f"{rate:.0f}"


def _cohort_chart(overview: Overview) -> str:
    cohorts = overview.cohorts
    width = board.cohort_width(cohorts)
    months = [show(Cell(row.cohort, board.MONTH), "") for row in cohorts.rows]
    titles = []
    for row, month in zip(cohorts.rows, months, strict=True):
        titles.append(
            [
                _("%(month)s, month %(number)s: %(share)s (%(count)s of %(size)s)")
                % {
                    "month": month,
                    "number": n,
                    "share": show(Cell(rate, PERCENT), ""),
                    "count": row.customers[n],
                    "size": row.size,
                }
                for n, rate in enumerate(row.rates)
            ]
        )
    return _svg(
        charts.heatmap(
            chart_id="chart-cohorts",
            title=str(board.TITLES["cohorts"]),
            description=str(board.EXPLANATIONS["cohorts"]),
            row_labels=months,
            column_labels=[str(n) for n in range(width)],
            values=[row.rates for row in cohorts.rows],
            cell_text=[[_short_percent(r) for r in row.rates] for row in cohorts.rows],
            cell_titles=titles,
            value_format=_percent,
            max_value=100,
            empty_text=board.empty_text("cohorts"),
        )
    )


def _campaign_chart(overview: Overview) -> str:
    rows = overview.campaigns
    revenue = [int(row.results.get("revenue_minor") or 0) for row in rows]
    cost = [int(row.results.get("cost_minor") or 0) for row in rows]
    value, tick = _money_formats(overview.business.currency, revenue + cost)
    return _svg(
        charts.bar_chart(
            chart_id="chart-campaigns",
            title=str(board.TITLES["campaigns"]),
            description=_("Revenue each campaign brought, beside what its messages cost."),
            labels=[row.name if len(row.name) <= 14 else row.name[:13] + "…" for row in rows],
            series=[
                charts.Series(_("Revenue"), revenue),
                charts.Series(_("Message cost"), cost, charts.PALETTE[3]),
            ],
            stacked=False,
            value_format=value,
            tick_format=tick,
            empty_text=board.empty_text("campaigns")
            if not rows
            else _("No revenue or message cost recorded for these campaigns yet."),
        )
    )


def _sections(overview: Overview, tables: dict[str, Table]) -> list[dict[str, Any]]:
    currency = overview.business.currency
    drawn = {
        "revenue": _revenue_chart,
        "points": _points_chart,
        "retention": _retention_chart,
        "cohorts": _cohort_chart,
        "campaigns": _campaign_chart,
    }
    sections = []
    for key in (*drawn, "figures"):
        table = tables[key]
        sections.append(
            {
                "key": key,
                "title": table.title,
                "explanation": table.explanation,
                "note": table.note,
                "chart": drawn[key](overview) if key in drawn else "",
                "header": table.shown_header(),
                "rows": table.shown_rows(currency),
                "empty": board.empty_text(key) if not table.rows else "",
            }
        )
    return sections


def _filters_text(
    filters: analytics.Filters, choices: dict[str, Any], *, separator: str = " · "
) -> str:
    parts = []
    if filters.location_id is not None:
        name = next((x.name for x in choices["locations"] if x.pk == filters.location_id), "")
        parts.append(_("Location: %(name)s") % {"name": name})
    if filters.segment_id is not None:
        name = next((x.name for x in choices["segments"] if x.pk == filters.segment_id), "")
        parts.append(_("Segment: %(name)s") % {"name": name})
    if filters.rfm is not None:
        parts.append(_("Customer group: %(name)s") % {"name": str(RFM_LABELS[filters.rfm])})
    return separator.join(parts)


def _export_query(period: analytics.Period, filters: analytics.Filters) -> str:
    values: dict[str, Any] = {"start": period.start.isoformat(), "end": period.end.isoformat()}
    if filters.location_id is not None:
        values["location"] = filters.location_id
    if filters.segment_id is not None:
        values["segment"] = filters.segment_id
    if filters.rfm is not None:
        values["rfm"] = filters.rfm
    return urlencode(values)


# ---------------------------------------------------------------------------------------------
# Views


@require_GET
@staff_required(Role.MANAGER)
@reporting  # reads from the read replica when there is one
def dashboard(request: HttpRequest) -> HttpResponse:
    business = _business(request)
    query = _query(request)
    try:
        period, filters = _parse(business, query)
    except DomainError as error:
        return _problem_page(request, business, query, error)
    context = _base_context(business, query)
    context.update(
        {
            "period": period,
            "filters_text": _filters_text(filters, context),
            "export_query": _export_query(period, filters),
            "filter_values": {
                "location": filters.location_id or "",
                "segment": filters.segment_id or "",
                "rfm": filters.rfm or "",
            },
            "month": period.end.strftime("%Y-%m"),
            "formats": FORMATS,
            "clv": clv_summary(business=business, limit=5),
            "headline": headline_get(
                business=business, language=translation.get_language() or "en"
            ),
        }
    )
    if filters.by_customers:
        # a saved segment or customer group reads raw orders: computed by a background
        # job, the page shows its last result (with its time) or its progress
        context.update(
            jobs.figures_state(
                request, business, period, filters, recompute=bool(request.GET.get("recompute"))
            )
        )
    else:
        overview = board.overview_get(business=business, period=period, filters=filters)
        context.update(figures_context(overview, period, filters))
    return render(request, TEMPLATE, context)


@require_GET
@staff_required(Role.MANAGER)
def dashboard_figures(request: HttpRequest) -> HttpResponse:
    """The figures part of a segment-filtered dashboard, polled while its job runs."""
    business = _business(request)
    query = _query(request)
    try:
        period, filters = _parse(business, query)
    except DomainError as error:
        return _problem_page(request, business, query, error)
    if not filters.by_customers:
        raise Http404
    context = jobs.figures_state(request, business, period, filters, job_id=request.GET.get("job"))
    template = (
        "web/reports/_computing.html"
        if context.get("computing")
        else ("web/reports/_computed.html")
    )
    return render(request, template, context)


def figures_context(
    overview: Overview, period: analytics.Period, filters: analytics.Filters
) -> dict[str, Any]:
    """What web/reports/_figures.html shows: tiles, charts and tables."""
    tables = board.overview_tables(overview)
    return {
        "previous_period": overview.dashboard.previous_period,
        "window_days": overview.dashboard.window_days,
        "tiles": _tiles(overview),
        "sections": _sections(overview, tables),
        "export_query": _export_query(period, filters),
        "bucket": _bucket_name(overview.buckets.kind),
    }


@require_GET
@staff_required(Role.MANAGER)
@reporting  # reads from the read replica when there is one
def export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    """One table (or `all`: every table, XLSX only) for the same period and filters as the
    dashboard; like every export, written to the audit log."""
    if fmt not in FORMATS or (table not in board.TABLE_KEYS and table != "all"):
        raise Http404
    if table == "all" and fmt != "xlsx":
        raise Http404
    business = _business(request)
    query = _query(request)
    try:
        period, filters = _parse(business, query)
    except DomainError as error:
        return _problem_page(request, business, query, error)
    if table == "all":
        overview = board.overview_get(business=business, period=period, filters=filters)
        download = board.workbook_export(
            list(board.overview_tables(overview).values()), business=business, period=period
        )
    else:
        found = board.table_get(key=table, business=business, period=period, filters=filters)
        download = board.table_export(found, fmt, business=business, period=period)
    audit_record(business=business, action="report.export", object_type="report",
                 object_id=table, actor=request.user,  # type: ignore[arg-type]
                 details={"format": fmt, "file": download.filename})  # fmt: skip
    response = StreamingHttpResponse(
        reporting_chunks(download.chunks), content_type=download.content_type
    )
    response["Content-Disposition"] = content_disposition_header(True, download.filename)
    response["Cache-Control"] = "private, no-store"
    # streamed, not buffered: staff_required's View type only names HttpResponse
    return response  # type: ignore[return-value]


@require_GET
@staff_required(Role.MANAGER)
@reporting  # reads from the read replica when there is one
def monthly_pdf(request: HttpRequest) -> HttpResponse:
    """The monthly report as PDF: ?month=YYYY-MM (default the last full month) and the
    dashboard's location / segment / customer group filters, in the reader's language."""
    business = _business(request)
    query = _query(request)
    last_full = local_today(business.timezone).replace(day=1) - dt.timedelta(days=1)
    month = request.GET.get("month", "").strip() or last_full.strftime("%Y-%m")
    try:
        period = board.month_period(business=business, month=month)
        filters = _filters(business, query)
    except DomainError as error:
        return _problem_page(request, business, query, error)
    overview = board.overview_get(business=business, period=period, filters=filters)
    pdf = board.monthly_report_pdf(
        overview=overview,
        tables=board.overview_tables(overview),
        filters_text=_filters_text(filters, _choices(business)),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"{business.slug}-report-{period.start.strftime('%Y-%m')}.pdf"
    audit_record(business=business, action="report.export", object_type="report",
                 object_id="monthly", actor=request.user,  # type: ignore[arg-type]
                 details={"format": "pdf", "file": filename})  # fmt: skip
    response["Content-Disposition"] = content_disposition_header(False, filename) or ""
    response["Cache-Control"] = "private, no-store"
    return response
