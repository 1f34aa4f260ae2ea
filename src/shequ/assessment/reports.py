"""The monthly report (月度考核报告) of a street or the district: indicators per community, the ranking, the top
categories and the overdue list, as an XLSX workbook (openpyxl) and as a printable page, from the same
``MonthlyReport`` (so the two, and the API, show the same totals).

``send_due`` runs on every scheduler tick and does its work only on the first working day of a month: for each
area someone subscribes to, last month's report is made once (``ReportRun``, unique per area and month) and sent to
each subscriber: listed on their report page, and by email to those who asked for it and have an address.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core import clock, worktime
from shequ.events.models import Event
from shequ.geo.models import Region, RegionLevel

from .figures import Figures, figures_for, labels
from .indicators import INDICATOR, Kind
from .inspection_models import ReportRun, Subscription
from .queries import Drill, Period, Scope, breakdown, drilled_facts
from .scoring_models import Score

log = logging.getLogger(__name__)

REPORT_LEVELS = (RegionLevel.DISTRICT, RegionLevel.STREET)
# The indicators a street office files, in the order of its table.
COLUMNS = (
    "reported",
    "accepted",
    "response_rate",
    "on_time_rate",
    "overdue_rate",
    "closure_rate",
    "rework_rate",
    "satisfaction_rate",
    "close_hours",
    "reopened",
)
TOP_CATEGORIES = 10
OVERDUE_ROWS = 500


@dataclass
class MonthlyReport:
    region: Region
    month: date
    figures: Figures  # with one row per community
    ranking: list[Score]
    categories: list[tuple[str, str, int, int]]  # code, name, reported, closed
    overdue: list[Event]

    @property
    def title(self) -> str:
        return _("%(area)s monthly assessment report, %(month)s") % {
            "area": self.region.name,
            "month": self.month.strftime("%Y-%m"),
        }


def last_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def build(region: Region, month: date, *, events: QuerySet[Event] | None = None) -> MonthlyReport:
    """The report of ``region`` for ``month``. ``events``: what the reader may see (the scheduled report, for the
    office's subscribers, sees the whole area)."""
    month = month.replace(day=1)
    period = Period.month(month)
    scope = Scope(area=region.code, label=region.name)
    found = figures_for(scope, period, by="community")
    cats = breakdown(scope, period, "category")
    names = labels("category", list(cats))
    categories = sorted(
        ((code, names.get(code, code), int(c["reported"]), int(c["closed"])) for code, c in cats.items()),
        key=lambda row: (-row[2], row[0]),
    )[:TOP_CATEGORIES]
    overdue_ids = drilled_facts(scope, period, Drill("cycles_overdue")).filter(source="event").values("source_id")
    visible = events if events is not None else Event.objects.all()
    overdue = list(
        visible.filter(pk__in=overdue_ids).select_related("category", "unit").order_by("deadline", "id")[:OVERDUE_ROWS]
    )
    ranking = list(
        Score.objects.filter(month__month=month, area_code__startswith=region.code)
        .select_related("month__scheme")
        .order_by("month__scheme__name", "-total", "name")
    )
    return MonthlyReport(region, month, found, ranking, categories, overdue)


def shown(code: str, value: float | None) -> float | str:
    """A cell's value: rates as fractions (formatted as percent in the sheet), hours to one decimal."""
    if value is None:
        return ""
    return round(value, 4) if INDICATOR[code].kind == Kind.RATE else round(value, 1)


def xlsx(report: MonthlyReport) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    bold = Font(bold=True)
    sheet = book.active
    sheet.title = _("Indicators")
    sheet.append([report.title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([_("Community"), _("Code"), *(str(INDICATOR[c].name) for c in COLUMNS)])
    for cell in sheet[2]:
        cell.font = bold
    for row in report.figures.rows:
        by_code = {f.code: f for f in row.figures}
        sheet.append([row.label, row.key, *(shown(c, by_code[c].value) for c in COLUMNS)])
    total = {f.code: f for f in report.figures.figures}
    sheet.append([_("Total"), report.region.code, *(shown(c, total[c].value) for c in COLUMNS)])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for index, code in enumerate(COLUMNS, start=3):
        if INDICATOR[code].kind == Kind.RATE:
            for (cell,) in sheet.iter_rows(min_row=3, min_col=index, max_col=index):
                cell.number_format = "0.0%"
    sheet.column_dimensions["A"].width = 18

    ranks = book.create_sheet(_("Ranking"))
    ranks.append([_("Scheme"), _("District rank"), _("Street rank"), _("Community rank"), _("Name"), _("Total")])
    for score in report.ranking:
        ranks.append(
            [
                score.month.scheme.name,
                score.rank_district,
                score.rank_street,
                score.rank_community,
                score.name,
                score.total,
            ]
        )
    cats = book.create_sheet(_("Top categories"))
    cats.append([_("Category code"), _("Category"), _("Reported"), _("Closed")])
    for code, name, reported, closed in report.categories:
        cats.append([code, name, reported, closed])
    late = book.create_sheet(_("Overdue"))
    late.append([_("Code"), _("Category"), _("Unit"), _("Deadline"), _("Status")])
    for event in report.overdue:
        deadline = timezone.localtime(event.deadline).strftime("%Y-%m-%d %H:%M") if event.deadline else ""
        late.append(
            [
                event.code,
                event.category.name if event.category else "",
                event.unit.name if event.unit else "",
                deadline,
                str(event.get_status_display()),
            ]
        )
    for ws in (ranks, cats, late):
        for cell in ws[1]:
            cell.font = bold
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def file_name(report: MonthlyReport) -> str:
    return f"assessment-{report.region.code}-{report.month:%Y-%m}.xlsx"


# --- the schedule ---------------------------------------------------------------------------------------------


def first_workday(month: date) -> date:
    day = month.replace(day=1)
    return day if worktime.is_workday(day) else worktime.next_workday(day)


def send_due(*, today: date | None = None) -> int:
    """Last month's reports, made and sent once per subscribed area, on the first working day of the month (or on
    a later tick of that day, or later still if the scheduler was down: the run's row says it was done)."""
    today = today or timezone.localdate(clock.now())
    if today < first_workday(today):
        return 0
    month = last_month(today)
    sent = 0
    regions = Region.objects.filter(pk__in=Subscription.objects.values("region"), level__in=REPORT_LEVELS)
    for region in regions:
        if ReportRun.objects.filter(region=region, month=month).exists():
            continue
        try:
            with transaction.atomic():
                sent += _send(region, month)
        except IntegrityError:  # another worker made it first
            continue
    return sent


def _send(region: Region, month: date) -> int:
    report = build(region, month)
    content = xlsx(report)
    run = ReportRun(region=region, month=month, created_at=clock.now())
    run.file.save(file_name(report), ContentFile(content), save=False)
    subscribers = list(Subscription.objects.filter(region=region).select_related("user"))
    run.recipients = len(subscribers)
    emailed = 0
    for sub in subscribers:
        if not (sub.email and sub.user.email and sub.user.is_active):
            continue
        message = EmailMessage(
            subject=report.title,
            body=_("The monthly assessment report is attached. It is also on the report page."),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[sub.user.email],
        )
        message.attach(file_name(report), content, XLSX_TYPE)
        try:
            message.send()
            emailed += 1
        except Exception:  # the mail server is outside the platform; the report page has it anyway
            log.exception("could not email the monthly report to %s", sub.user_id)
    run.emailed = emailed
    run.save()
    return 1


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
