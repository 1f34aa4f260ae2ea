"""Care and aid over the API (/api/services/): a grid worker's open visits (their care plan, the most urgent first)
and recording a visit (position checked against the dwelling's grid, findings, an event for a problem found); a
department's aid (its own in full, of the others only "already helped" flags) and entering an item (the recipient
by ID number and name together, the checks run and their findings returned). The same scopes as the pages: who
sees no care or aid gets a 404; reads through ``care.queries`` / ``aid.queries``, writes through their actions."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status

from shequ.access.models import Unit, User
from shequ.core.errors import InvalidInput, NotFound
from shequ.registry.models import Person
from shequ.registry.queries import current_residences
from shequ.registry.visibility import viewer_for

from .aid import actions as aid_actions
from .aid import queries as aid
from .care import actions as care_actions
from .care import queries as care
from .models import AidItem, AidKind, CareVisit
from .schemas import AidIn, AidOut, AidPage, AidRecorded, CareTaskOut, FindingOut, FlagOut, VisitIn, VisitOut

router = Router(tags=["services"])
PAGE_SIZE = 50
PK = Path(..., ge=1, le=2**31 - 1)


@router.get("/care/tasks", response=list[CareTaskOut], summary="My open care visits (the plan), most urgent first")
def care_tasks(request: HttpRequest) -> list[CareTaskOut]:
    if not care.sees_care(request.user):
        raise NotFound()
    viewer = viewer_for(request.user)
    return [
        CareTaskOut(
            id=t.pk,
            person=str(viewer.shown("person.name", t.subject.person.name) or ""),
            grid=t.grid.name,
            risk=t.subject.risk,
            needs=t.subject.needs,
            kind=t.kind,
            reason=t.reason,
            due=t.due,
            state=care.due_label(t),
            overdue=t.overdue,
            escalated=t.escalated,
        )
        for t in care.my_tasks(request.user)[:200]
    ]


def _visit(v: CareVisit) -> VisitOut:
    return VisitOut(
        id=v.pk,
        task=v.task_id,
        wellbeing=v.wellbeing,
        location_ok=v.location_ok,
        event=v.event.code if v.event_id and v.event else None,
        visited_at=v.visited_at,
    )


@router.post("/care/tasks/{pk}/visits", response={201: VisitOut}, summary="Record the visit of a care task")
def record_visit(request: HttpRequest, body: VisitIn, pk: int = PK) -> Status:
    task = care.get_task_for(request.user, pk)
    followup = care_actions.Followup(event_text=body.event_text) if body.event_text.strip() else None
    visit = care_actions.record_visit(
        task,
        by=request.user,
        wellbeing=body.wellbeing,
        findings=body.findings,
        lon=body.lon,
        lat=body.lat,
        followup=followup,
    )
    return Status(201, _visit(visit))


def _aid_user(request: HttpRequest) -> User:
    if not aid.sees_aid(request.user):
        raise NotFound()
    return request.user


def _aid_rows(user: User, items: list[AidItem]) -> list[AidOut]:
    viewer = viewer_for(user)
    heads = dict(
        current_residences()
        .filter(household_id__in=[i.household_id for i in items if i.household_id])
        .order_by("-start", "-id")
        .values_list("household_id", "person_id")
    )
    owner = {i.pk: i.person_id or heads.get(i.household_id) for i in items}
    flags = aid.flags_for(user, [p for p in owner.values() if p])
    names = dict(Person.objects.filter(pk__in=[p for p in owner.values() if p]).values_list("pk", "name"))
    return [
        AidOut(
            id=i.pk,
            kind=i.kind.code,
            kind_name=i.kind.name,
            department=i.department.name,
            recipient=str(viewer.shown("person.name", names.get(owner[i.pk], "")) or "") if owner[i.pk] else "",
            household=i.household_id is not None,
            start=i.start,
            end=i.end,
            amount=i.amount,
            note=i.note,
            open_findings=getattr(i, "open_findings", 0),
            flags=[FlagOut(department=f.department, kind=f.kind, since=f.since) for f in flags.get(owner[i.pk], [])],
        )
        for i in items
    ]


@router.get("/aid", response=AidPage, summary="The aid ledger as I may see it (a department: its own, flags of others)")
def list_aid(
    request: HttpRequest,
    page: int = Query(1, ge=1, le=10_000),
    kind: str = Query("", max_length=30),
    current: bool = Query(False),
) -> AidPage:
    user = _aid_user(request)
    qs = aid.items_for(user)
    if kind:
        qs = qs.filter(kind__code=kind)
    if current:
        qs = aid.current(qs)
    qs = qs.annotate(open_findings=Count("findings", filter=Q(findings__resolved_at__isnull=True))).order_by(
        "-start", "-id"
    )
    rows = list(qs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])
    return AidPage(count=qs.count(), page=page, results=_aid_rows(user, rows))


@router.post("/aid", response={201: AidRecorded}, summary="Enter an aid item; the checks' findings come back")
def enter_aid(request: HttpRequest, body: AidIn) -> Status:
    user = _aid_user(request)
    kind = AidKind.objects.filter(code=body.kind).first()
    if kind is None:
        raise InvalidInput(_("No such aid kind."), code="aid_kind_unknown", field="kind")
    own = aid.department_of(user)
    department = (
        own
        if own is not None and not body.department
        else Unit.objects.filter(code=body.department, active=True).first()
    )
    if department is None:
        raise InvalidInput(_("Name the department by its code."), code="department_unknown", field="department")
    person = aid.find_recipient(user, id_number=body.id_number, name=body.name)
    done = aid_actions.record_aid(
        by=user,
        kind=kind,
        department=department,
        person=person,
        start=body.start,
        end=body.end,
        amount=body.amount,
        household=body.household,
        note=body.note,
    )
    item = aid.items_for(user).get(pk=done.item.pk)
    item.open_findings = len(done.findings)  # type: ignore[attr-defined]
    findings = [FindingOut(id=f.pk, kind=f.kind, detail=f.detail) for f in done.findings]
    return Status(201, AidRecorded(item=_aid_rows(user, [item])[0], findings=findings))
