"""Every write of care: the needs list, visit plans, visits, requests from other apps, the missed-visit sweep.

build_needs_list(region)  people of the region holding a care tag (SHEQU_CARE_TAGS) are on the list, with a
                          default risk from their tags; each active subject has one open planned visit
set_risk                  staff change a subject's risk; the open planned visit moves to the new interval
record_visit              the grid worker's visit: time, position checked against the dwelling's grid,
                          findings; the next planned visit is due one interval later; a finding may open an
                          event (events.actions.report) or a service order (orders.actions.place)
request_care_visit        another app (devices' elderly rules) asks for a visit: one open task per source
mark_missed               the sweep: a visit not done by its due day is overdue for the worker; after
                          SHEQU_CARE_ESCALATE_DAYS more working days it is escalated to the community
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from shequ import audit
from shequ.access.models import Role, User
from shequ.access.scopes import covers, manages_area
from shequ.core import clock, worktime
from shequ.core.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from shequ.events import actions as events
from shequ.events.models import Category, Channel
from shequ.geo import coords
from shequ.geo.index import locate
from shequ.geo.models import Region
from shequ.registry.models import Person, PersonTag
from shequ.registry.queries import current_residences, open_tags, people_in

from ..models import CareEntry, CareSubject, CareTask, CareVisit, Risk, Service, TaskReason, Wellbeing
from . import queries

FINDINGS_MAX = 2000


def _entry(task: CareTask, action: str, *, by: User | None, note: str = "") -> None:
    CareEntry.objects.create(task=task, action=action, actor=by, note=note[:FINDINGS_MAX], at=clock.now())
    audit.record("write", actor=by, target=task, detail={"action": f"care.{action}"})


def default_risk(tags: set[str]) -> str:
    """Bedridden, or elderly living alone and disabled: high; living alone or disabled: medium; else low."""
    if "bedridden" in tags or {"elderly_alone", "disabled"} <= tags:
        return Risk.HIGH
    if tags & {"elderly_alone", "disabled"}:
        return Risk.MEDIUM
    return Risk.LOW


def worker_for(grid: Region) -> User | None:
    """The grid's worker who gets its visits (the first active one)."""
    return User.objects.filter(role=Role.GRID_WORKER, region=grid, is_active=True).order_by("id").first()


def _home_grid(person: Person) -> Region | None:
    home = (
        current_residences()
        .filter(person=person)
        .select_related("dwelling__building__grid")
        .order_by("start", "id")
        .first()
    )
    return home.dwelling.building.grid if home else None


def _open_plan(subject: CareSubject, *, due: date, by: User | None) -> CareTask:
    task = CareTask.objects.create(
        subject=subject,
        worker=worker_for(subject.grid),
        grid=subject.grid,
        kind=TaskReason.PLAN,
        reason=_("Planned visit (%(risk)s)") % {"risk": subject.get_risk_display()},
        due=due,
        created_by=by,
        created_at=clock.now(),
    )
    _entry(task, "open", by=by, note=task.reason)
    return task


def _plan_task(subject: CareSubject) -> CareTask | None:
    return queries.open_tasks(subject.tasks.filter(kind=TaskReason.PLAN)).first()


# --- the needs list -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    added: int
    updated: int
    removed: int


@transaction.atomic
def build_needs_list(*, region: Region, by: User | None) -> Built:
    """Bring the region's part of the needs list up to date with the base's tags (held today), and give every
    active subject a planned visit (due today for a new one)."""
    if by is not None and not (manages_area(by) and covers(by, region.code)):
        raise PermissionDenied(_("Only the community's staff build its needs list."), code="not_desk")
    wanted = queries.care_tags()
    people = people_in(region).values("pk")
    held: dict[int, set[str]] = {}
    for person_id, code in PersonTag.objects.filter(
        open_tags(), person_id__in=people, tag__code__in=wanted
    ).values_list("person_id", "tag__code"):
        held.setdefault(person_id, set()).add(code)
    grids = dict(
        current_residences()
        .filter(person_id__in=list(held))
        .order_by("-start")
        .values_list("person_id", "dwelling__building__grid_id")
    )
    now = clock.now()
    existing = {s.person_id: s for s in CareSubject.objects.filter(grid__code__startswith=region.code)}
    existing.update({s.person_id: s for s in CareSubject.objects.filter(person_id__in=list(held))})
    added = updated = removed = 0
    for person_id, tags in held.items():
        subject = existing.get(person_id)
        if subject is None:
            subject = CareSubject.objects.create(
                person_id=person_id,
                risk=default_risk(tags),
                tags=sorted(tags),
                grid_id=grids[person_id],
                added_at=now,
                updated_at=now,
            )
            added += 1
        elif sorted(tags) != subject.tags or not subject.active or subject.grid_id != grids[person_id]:
            subject.tags, subject.active, subject.grid_id, subject.updated_at = (
                sorted(tags),
                True,
                grids[person_id],
                now,
            )
            subject.save(update_fields=["tags", "active", "grid", "updated_at"])
            updated += 1
        if _plan_task(subject) is None:
            _open_plan(subject, due=now.date(), by=by)
    for person_id, subject in existing.items():
        if person_id in held or not subject.active or not subject.tags:
            continue  # a subject put on the list by a request has no tags: staff take it off
        subject.active, subject.tags, subject.updated_at = False, [], now
        subject.save(update_fields=["active", "tags", "updated_at"])
        for task in queries.open_tasks(subject.tasks.filter(kind=TaskReason.PLAN)):
            task.cancelled_at = now
            task.save(update_fields=["cancelled_at"])
            _entry(task, "cancel", by=by, note=_("No longer on the needs list."))
        removed += 1
    audit.record("write", actor=by, target=region, detail={"action": "care.build", "added": added, "removed": removed})
    return Built(added, updated, removed)


@transaction.atomic
def set_risk(subject: CareSubject, *, by: User, risk: str, needs: str | None = None) -> CareSubject:
    """Staff set the risk level (and the needs); the open planned visit moves to the new interval after the last
    visit (today at the latest)."""
    if not (manages_area(by) and covers(by, subject.grid.code)):
        raise PermissionDenied(_("Only the community's staff change the needs list."), code="not_desk")
    if risk not in Risk.values:
        raise InvalidInput(_("Choose a risk level."), code="bad_risk", field="risk")
    subject = CareSubject.objects.select_for_update().get(pk=subject.pk)
    subject.risk, subject.updated_at = risk, clock.now()
    if needs is not None:
        subject.needs = needs.strip()[:FINDINGS_MAX]
    subject.save(update_fields=["risk", "needs", "updated_at"])
    task = _plan_task(subject)
    if task is not None:
        last = subject.visits.order_by("-visited_at").values_list("visited_at", flat=True).first()
        base = last.date() if last else clock.now().date()
        task.due = min(base + timedelta(days=queries.interval_days(risk)), max(task.due, clock.now().date()))
        task.save(update_fields=["due"])
        _entry(task, "reschedule", by=by, note=subject.get_risk_display())
    audit.record("write", actor=by, target=subject, detail={"action": "care.set_risk", "risk": risk})
    return subject


# --- requests from elsewhere ----------------------------------------------------------------------------------


@transaction.atomic
def request_care_visit(*, person: Person, reason: str, source: str, by: User | None = None) -> CareTask:
    """A visit to ``person``, due today, for the grid worker of the grid they live in: for other apps (the devices'
    elderly rules: no motion, a meter at zero) and staff.

    ``source`` names the asker ("devices:alarm:17"); while a task from the same source is open, asking again returns
    that task (a retried or repeated alarm is one visit). A person not on the needs list is put on it (high risk,
    no tags: staff take them off). Raises ``NotFound`` when the base has no home for the person in the district.
    Returns the ``CareTask`` (``pk``, ``is_open``)."""
    reason, source = (reason or "").strip()[:200], (source or "").strip()[:100]
    if not reason:
        raise InvalidInput(_("Say why the visit is needed."), code="reason_required", field="reason")
    if source:
        same = queries.open_tasks(CareTask.objects.filter(subject__person=person, source=source)).first()
        if same is not None:
            return same
    grid = _home_grid(person)
    if grid is None:
        raise NotFound(_("The community base has no home for this person in the district."))
    now = clock.now()
    subject, created = CareSubject.objects.get_or_create(
        person=person, defaults={"risk": Risk.HIGH, "grid": grid, "added_at": now, "updated_at": now}
    )
    if not created and (not subject.active or subject.grid_id != grid.pk):
        subject.active, subject.grid, subject.updated_at = True, grid, now
        subject.save(update_fields=["active", "grid", "updated_at"])
    task = CareTask.objects.create(
        subject=subject,
        worker=worker_for(grid),
        grid=grid,
        kind=TaskReason.REQUEST,
        reason=reason,
        source=source,
        due=now.date(),
        created_by=by,
        created_at=now,
    )
    _entry(task, "open", by=by, note=f"{reason} ({source})" if source else reason)
    return task


# --- visits -----------------------------------------------------------------------------------------------------


def _locate(lon: float | None, lat: float | None, crs: str) -> tuple[float | None, float | None, str]:
    if lon is None or lat is None:
        return None, None, ""
    try:
        lon, lat = coords.to_wgs84(float(lon), float(lat), crs)
    except ValueError:
        raise InvalidInput(_("Your position could not be read."), code="bad_crs", field="location") from None
    found = locate(lon, lat)
    return lon, lat, found.grid_code if found else ""


@dataclass(frozen=True)
class Followup:
    """What a visit's finding opens: an event (description, optional category) and/or an order of a service."""

    event_text: str = ""
    category: Category | None = None
    service: Service | None = None
    order_request: str = ""


@transaction.atomic
def record_visit(
    task: CareTask,
    *,
    by: User,
    wellbeing: str,
    findings: str = "",
    lon: float | None = None,
    lat: float | None = None,
    crs: str = coords.CRS.WGS84,
    followup: Followup | None = None,
) -> CareVisit:
    """走访: the task's grid worker (or a worker of its grid) records the visit. The position, when the phone gives
    one, is checked against the grid of the visited dwelling (``location_ok``). The next planned visit falls one
    interval of the subject's risk after today. A finding may open an event and/or order a service for the person."""
    if wellbeing not in Wellbeing.values:
        raise InvalidInput(_("Say how the person is."), code="bad_wellbeing", field="wellbeing")
    findings = (findings or "").strip()
    if len(findings) > FINDINGS_MAX:
        raise InvalidInput(
            pgettext("services", "At most %(n)s characters.") % {"n": FINDINGS_MAX}, code="too_long", field="findings"
        )
    if wellbeing != Wellbeing.GOOD and not findings:
        raise InvalidInput(_("Describe what you found."), code="findings_required", field="findings")
    task = CareTask.objects.select_for_update().select_related("subject__person", "grid").get(pk=task.pk)
    if by.role != Role.GRID_WORKER or by.region_id != task.grid_id or (task.worker_id not in (None, by.pk)):
        raise PermissionDenied(_("Only the grid worker of this visit records it."), code="not_worker")
    if not task.is_open:
        raise InvalidTransition(_("This visit is already done."), code="task_closed")
    subject = task.subject
    lon, lat, located = _locate(lon, lat, crs)
    home = _home_grid(subject.person)
    now = clock.now()
    visit = CareVisit.objects.create(
        task=task,
        subject=subject,
        worker=by,
        visited_at=now,
        lon=lon,
        lat=lat,
        located_grid=located,
        location_ok=None if lon is None else bool(home and located == home.code),
        wellbeing=wellbeing,
        findings=findings,
    )
    task.done_at, task.worker = now, by
    task.save(update_fields=["done_at", "worker"])
    place = _("position checked") if visit.location_ok else _("position outside the dwelling's grid")
    _entry(task, "visit", by=by, note=f"{visit.get_wellbeing_display()}; {place if lon is not None else ''} {findings}")
    _next_plan(subject, after=now.date(), by=by)
    if followup is not None:
        _follow_up(visit, followup, by=by)
    return visit


def _next_plan(subject: CareSubject, *, after: date, by: User) -> None:
    if not subject.active:
        return
    due = after + timedelta(days=queries.interval_days(subject.risk))
    task = _plan_task(subject)
    if task is None:
        _open_plan(subject, due=due, by=by)
    elif task.due < due:
        task.due, task.overdue, task.escalated = due, False, False
        task.save(update_fields=["due", "overdue", "escalated"])
        _entry(task, "reschedule", by=by, note=_("Visited; next visit %(due)s") % {"due": due.isoformat()})


def _follow_up(visit: CareVisit, followup: Followup, *, by: User) -> None:
    from ..orders import actions as orders

    if followup.event_text.strip():
        text = _("Found on a care visit: %(text)s") % {"text": followup.event_text.strip()}
        where: dict = {"lon": visit.lon, "lat": visit.lat} if visit.location_ok else {"region": visit.subject.grid}
        visit.event = events.report(
            by=by,
            channel=Channel.GRID_WORKER,
            description=text[: events.MAX_DESCRIPTION],
            category=followup.category,
            **where,
        )
    if followup.service is not None:
        visit.order = orders.place(
            service=followup.service,
            by=by,
            beneficiary=visit.subject.person,
            request=followup.order_request or visit.findings,
        )
    visit.save(update_fields=["event", "order"])
    if visit.task is not None:
        opened = [x for x in (visit.event and visit.event.code, visit.order and visit.order.number) if x]
        _entry(visit.task, "follow_up", by=by, note="、".join(opened))


@transaction.atomic
def cancel_task(task: CareTask, *, by: User, reason: str) -> CareTask:
    """Staff drop an open visit (a request that turned out needless), with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give the reason."), code="reason_required", field="reason")
    task = CareTask.objects.select_for_update().select_related("grid").get(pk=task.pk)
    if not (manages_area(by) and covers(by, task.grid.code)):
        raise PermissionDenied(_("Only the community's staff drop a visit."), code="not_desk")
    if not task.is_open:
        raise InvalidTransition(_("This visit is already done."), code="task_closed")
    task.cancelled_at = clock.now()
    task.save(update_fields=["cancelled_at"])
    _entry(task, "cancel", by=by, note=reason)
    return task


# --- missed visits -----------------------------------------------------------------------------------------------


def _escalation_day(due: date) -> date:
    day = due
    for _step in range(settings.SHEQU_CARE_ESCALATE_DAYS):
        day = worktime.next_workday(day)
    return day


def mark_missed(*, now: datetime | None = None) -> tuple[int, int]:
    """Open visits whose due day has passed become overdue (the worker's to-do); those still open
    ``SHEQU_CARE_ESCALATE_DAYS`` working days after the due day are escalated (the community's). Each once, with a
    timeline row. Returns (overdue, escalated)."""
    today = timezone.localtime(now or clock.now()).date()
    overdue = escalated = 0
    late = queries.open_tasks(CareTask.objects.filter(overdue=False, due__lt=today))
    for pk in late.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            task = CareTask.objects.select_for_update().filter(pk=pk, overdue=False).first()
            if task is None or not task.is_open:
                continue
            task.overdue = True
            task.save(update_fields=["overdue"])
            _entry(task, "overdue", by=None, note=_("Not visited by %(due)s.") % {"due": task.due.isoformat()})
            overdue += 1
    waiting = queries.open_tasks(CareTask.objects.filter(overdue=True, escalated=False))
    for pk, due in waiting.values_list("pk", "due").iterator():
        if _escalation_day(due) >= today:
            continue
        with transaction.atomic():
            task = CareTask.objects.select_for_update().filter(pk=pk, escalated=False).first()
            if task is None or not task.is_open:
                continue
            task.escalated = True
            task.save(update_fields=["escalated"])
            _entry(task, "escalate", by=None, note=_("Still not visited: passed to the community."))
            escalated += 1
    return overdue, escalated


# --- the seam for the devices app ------------------------------------------------------------------------------


def _resident_to_visit(dwelling_id: int) -> Person | None:
    """Of a dwelling's current residents, the one a care visit is for: the highest-risk one on the needs list, else
    the first resident."""
    residents = list(
        Person.objects.filter(pk__in=current_residences().filter(dwelling_id=dwelling_id).values("person_id"))
        .current()
        .order_by("pk")
    )
    if not residents:
        return None
    rank = {Risk.HIGH: 0, Risk.MEDIUM: 1, Risk.LOW: 2}
    listed = {
        s.person_id: rank.get(Risk(s.risk), 3)
        for s in CareSubject.objects.filter(person__in=residents, active=True).only("person_id", "risk")
    }
    return min(residents, key=lambda p: (listed.get(p.pk, 9), p.pk))


def open_care_task(
    *,
    reason: str,
    source: str = "",
    person: Person | None = None,
    dwelling: object | None = None,
    by: User | None = None,
    **context: object,
) -> CareTask | None:
    """The callable the devices app's ``SHEQU_DEVICE_CARE_TASKS`` seam points to: a care visit due today for the grid
    worker, for ``person``, or for the resident of ``dwelling`` (a ``geo.Dwelling`` or its id) most at risk.

    ``source`` names the alarm ("devices:alarm:17"): while its visit is open, calling again returns the same task.
    Further keyword arguments (the device, the rule, a reading) are accepted and ignored, so the caller may pass
    what it has. Returns None when nobody lives at the dwelling (there is nobody to visit); raises ``InvalidInput``
    without a reason or a person/dwelling, ``NotFound`` when the person has no home in the district."""
    del context  # accepted for the caller's convenience; the reason says what happened
    if person is None and dwelling is not None:
        dwelling_id = dwelling if isinstance(dwelling, int) else getattr(dwelling, "pk", None)
        if not isinstance(dwelling_id, int):
            raise InvalidInput(_("Name the person or the dwelling to visit."), code="target_required")
        person = _resident_to_visit(dwelling_id)
        if person is None:
            return None
    if person is None:
        raise InvalidInput(_("Name the person or the dwelling to visit."), code="target_required")
    return request_care_visit(person=person, reason=reason, source=source, by=by)
