"""The period report as plain text (what `wateja report` prints), in the active language."""

from __future__ import annotations

from typing import Any

from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from wateja.analytics.services import Figure, Period, Report
from wateja.core.money import Money, format_money


def _money(amount: int | float | None, currency: str) -> str:
    if amount is None:
        return _("not enough data")
    return format_money(Money(int(amount), currency), (get_language() or "en")[:2])


def _fixed(value: float, digits: int) -> str:
    # number_format cuts the digits off; round first
    return formats.number_format(round(value, digits), digits, force_grouping=True)


def _number(value: int | float | None, unit: str, currency: str) -> str:
    if value is None:
        return _("not enough data")
    if unit == "minor":
        return _money(value, currency)
    if unit == "percent":
        return f"{_fixed(value, 1)} %"
    if unit == "days":
        return _("%(days)s days") % {"days": _fixed(value, 1)}
    if unit == "ratio":
        return _fixed(value, 2)
    return _fixed(value, 0)


def _change(figure: Figure) -> str:
    if figure.change is None:
        return ""
    sign = "+" if figure.change > 0 else ""
    if figure.unit == "percent":
        return _("%(change)s pts") % {"change": f"{sign}{_fixed(figure.change, 1)}"}
    return f"{sign}{_fixed(figure.change, 1)} %"


def _period(period: Period) -> str:
    return _("%(start)s to %(end)s (%(days)s days)") % {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "days": period.days,
    }


def _row(label: str, value: str, change: str = "") -> str:
    return f"  {label:<34} {value:>20}  {change}".rstrip()


def report_text(report: Report, *, location_name: str = "", segment_name: str = "") -> str:
    board = report.dashboard
    cur = report.currency
    f = board.figures
    lines = [
        f"{report.business} — {_period(board.period)}",
        _("Compared with %(period)s") % {"period": _period(board.previous_period)},
    ]
    if location_name:
        lines.append(_("Location: %(name)s") % {"name": location_name})
    if segment_name:
        lines.append(_("Customers: %(name)s") % {"name": segment_name})

    def show(label: str, key: str) -> str:
        figure = f[key]
        return _row(label, _number(figure.value, figure.unit, cur), _change(figure))

    lines += [
        "",
        _("Customers (active: bought within %(days)s days)") % {"days": board.window_days},
        show(_("Active at the start"), "customers_at_start"),
        show(_("Active at the end"), "customers_at_end"),
        show(_("New customers"), "new_customers"),
        show(_("Customers who bought"), "buyers"),
        show(_("Retention rate"), "retention_rate"),
        show(_("Churn rate"), "churn_rate"),
        show(_("Repeat purchase rate"), "repeat_purchase_rate"),
        show(_("Orders per customer"), "purchase_frequency"),
        show(_("Days between purchases"), "days_between_purchases"),
        "",
        _("Sales"),
        show(_("Revenue"), "revenue_minor"),
        show(_("Orders"), "orders"),
        show(_("Average order"), "average_order_minor"),
        show(_("Members' share of revenue"), "member_revenue_share"),
        show(_("Discounts given"), "discount_minor"),
        "",
        _("Loyalty program"),
        show(_("Points issued"), "points_issued"),
        show(_("Points redeemed"), "points_redeemed"),
        show(_("Points expired"), "points_expired"),
        show(_("Redemption rate"), "redemption_rate"),
        show(_("Breakage rate"), "breakage_rate"),
        _row(
            _("Ultimate redemption rate"),
            _number(report.points.ultimate_redemption_rate, "percent", cur),
        ),
    ]
    roi = board.roi
    lines.append(_row(_("Program ROI"), _number(roi.roi, "ratio", cur)))
    lines.append(
        _row(
            _("  incremental margin / cost"),
            f"{_money(roi.incremental_margin_minor, cur)} / {_money(roi.cost_minor, cur)}",
        )
    )
    unprofitable = report.unprofitable
    lines += [
        _row(
            _("Unprofitable customers"),
            f"{unprofitable.unprofitable} / {unprofitable.buyers}",
            _number(unprofitable.share, "percent", cur) if unprofitable.buyers else "",
        ),
        "",
        _("RFM segments")
        + (f" ({report.rfm.scored_on.isoformat()})" if report.rfm.scored_on else ""),
    ]
    for segment in report.rfm.segments:
        if segment.customers:
            lines.append(
                _row(segment.label, str(segment.customers), _number(segment.share, "percent", cur))
            )
    if not report.rfm.customers:
        lines.append("  " + _("No customer has bought yet."))
    notes: dict[str, Any] = {**board.notes, **report.points.notes}
    if notes:
        lines += ["", _("Notes")]
        lines += [f"  * {text}" for text in dict.fromkeys(notes.values())]
    return "\n".join(lines)
