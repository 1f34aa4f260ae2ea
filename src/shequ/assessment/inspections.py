"""Spot checks (督查核查): a fair random draw, checked on site, feeding the assessment.

The population is every closed event (closed in the date range) or every collected record (a collection item done
in the range) inside the area, ordered by id. The sample is ``random.Random(seed).sample(population, size)``;
the population, seed and size are kept, so ``redraw`` repeats the draw and anyone can check it was not chosen by
hand. A checked item is a fact for the closing unit and the verifier (an event) or the collector (a record); a
failed closed event goes back to its unit as rework (``events.actions.inspection_reopen``).
"""

from __future__ import annotations

import random
import secrets
from collections import Counter, defaultdict
from datetime import date

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from shequ import audit
from shequ.access.models import Role, User
from shequ.access.scopes import covers
from shequ.collection.models import ItemStatus, TaskItem
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from shequ.events import actions as event_actions
from shequ.events.models import Event, Status, TimelineEntry
from shequ.events.photos import check_photos
from shequ.geo.models import Region

from .derive import local_day
from .inspection_models import Inspection, InspectionItem, InspectionKind, Result
from .models import Fact, Source
from .queries import Period
from .rollups import Cell, add_deltas, apply_deltas

MAX_SAMPLE = 200
SUPERVISORS = (Role.STREET_DISPATCHER, Role.DISTRICT_DISPATCHER)


def may_inspect(user: User, area_code: str) -> bool:
    """督查 is a supervisor's work: street and district dispatchers over their area, and administrators."""
    return user.is_authenticated and (user.sees_everything or (user.role in SUPERVISORS and covers(user, area_code)))


def inspections_for(user: User) -> QuerySet[Inspection]:
    if user.sees_everything:
        return Inspection.objects.all()
    if user.role not in SUPERVISORS or user.region is None:
        return Inspection.objects.none()
    return Inspection.objects.filter(region__code__startswith=user.region.code)


def get_item_for(user: User, pk: int) -> InspectionItem:
    item = (
        InspectionItem.objects.filter(pk=pk, inspection__in=inspections_for(user))
        .select_related("inspection__region", "event__category", "task_item__task__grid", "task_item__person")
        .first()
    )
    if item is None:
        raise NotFound()
    return item


def population(kind: str, region: Region, date_from: date, date_to: date) -> list[int]:
    start, end = Period(date_from, date_to).bounds()
    if kind == InspectionKind.EVENTS:
        events = Event.objects.filter(
            status=Status.CLOSED, area_code__startswith=region.code, closed_at__gte=start, closed_at__lt=end
        )
        return list(events.order_by("pk").values_list("pk", flat=True))
    if kind == InspectionKind.RECORDS:
        records = TaskItem.objects.exclude(status=ItemStatus.PENDING).filter(
            task__grid__code__startswith=region.code, done_at__gte=start, done_at__lt=end
        )
        return list(records.order_by("pk").values_list("pk", flat=True))
    raise InvalidInput(_("Choose closed events or collected records."), code="bad_kind", field="kind")


def sample(population: list[int], *, size: int, seed: int) -> list[int]:
    """The draw: the same population, size and seed give the same items in the same order."""
    return random.Random(seed).sample(population, min(size, len(population)))


def redraw(inspection: Inspection) -> list[int]:
    return sample(inspection.population, size=inspection.size, seed=inspection.seed)


@transaction.atomic
def draw(
    *,
    by: User,
    kind: str,
    region: Region,
    date_from: date,
    date_to: date,
    size: int,
    seed: int | None = None,
    note: str = "",
) -> Inspection:
    """Draw a sample to check on site. The seed is random unless given (to repeat a draw elsewhere)."""
    if not may_inspect(by, region.code):
        raise NotFound(_("There is no such area in your scope."))
    if not 1 <= size <= MAX_SAMPLE:
        raise InvalidInput(_("Draw between 1 and %(n)s items.") % {"n": MAX_SAMPLE}, code="bad_size", field="size")
    ids = population(kind, region, date_from, date_to)
    if not ids:
        raise InvalidInput(_("Nothing to draw from in this area and period."), code="empty_population")
    seed = secrets.randbelow(2**31) if seed is None else seed
    inspection = Inspection.objects.create(
        kind=kind,
        region=region,
        date_from=date_from,
        date_to=date_to,
        size=size,
        seed=seed,
        population=ids,
        drawn_by=by,
        drawn_at=clock.now(),
        note=note.strip()[:200],
    )
    field = "event_id" if kind == InspectionKind.EVENTS else "task_item_id"
    InspectionItem.objects.bulk_create(
        [
            InspectionItem(inspection=inspection, position=i, **{field: pk})
            for i, pk in enumerate(sample(ids, size=size, seed=seed), start=1)
        ]
    )
    audit.record("write", actor=by, target=inspection, detail={"action": "draw", "seed": seed, "size": size})
    return inspection


@transaction.atomic
def check(
    item: InspectionItem, *, by: User, passed: bool, note: str = "", photo: UploadedFile | None = None
) -> InspectionItem:
    """The on-site result of one item, once. A failure needs a note; a failed closed event is reopened."""
    item = InspectionItem.objects.select_for_update().select_related("inspection__region").get(pk=item.pk)
    if not may_inspect(by, item.inspection.region.code):
        raise PermissionDenied(_("Only a supervisor of this area may record spot checks."))
    if item.result != Result.PENDING:
        raise InvalidTransition(_("This item has been checked already."), code="already_checked")
    note = note.strip()
    if not passed and not note:
        raise InvalidInput(_("Say what is wrong."), field="note")
    checked = check_photos([photo] if photo is not None else [])
    item.result = Result.PASSED if passed else Result.FAILED
    item.note, item.checked_by, item.checked_at = note, by, clock.now()
    if checked:
        upload, kind = checked[0]
        item.photo.save(upload.name or "photo", upload, save=False)
        item.photo_type = kind
    item.area_code, item.assessed_unit_id, item.assessed_person_id = _assessed(item)
    item.save()
    if not passed and item.event_id is not None:
        event = Event.objects.get(pk=item.event_id)
        if event.status == Status.CLOSED:
            reason = _("Spot check failed: %(note)s") % {"note": note}
            event_actions.inspection_reopen(event, by=by, reason=reason)
    deltas: dict[Cell, Counter] = defaultdict(Counter)
    facts = item_facts([item])
    add_deltas(deltas, facts, +1)
    Fact.objects.bulk_create(facts)
    apply_deltas(deltas)
    audit.record("write", actor=by, target=item, detail={"action": "spot_check", "result": item.result})
    return item


def _assessed(item: InspectionItem) -> tuple[str, int | None, int | None]:
    """(area, unit, person) whose work an item judges: a closed event's unit and the person who verified it closed;
    a record's grid and the grid worker who collected it."""
    if item.event_id is not None:
        event = Event.objects.filter(pk=item.event_id).values("area_code", "unit_id").get()
        verifier = (
            TimelineEntry.objects.filter(event_id=item.event_id, action="verify_pass")
            .order_by("-at", "-id")
            .values_list("actor_id", flat=True)
            .first()
        )
        return event["area_code"], event["unit_id"], verifier
    assert item.task_item_id is not None  # an item is an event's or a record's
    done = TaskItem.objects.filter(pk=item.task_item_id).values("by_id", "task__grid__code").get()
    return done["task__grid__code"], None, done["by_id"]


def item_facts(items: list[InspectionItem]) -> list[Fact]:
    return [
        Fact(
            source=Source.INSPECTION,
            source_id=item.pk,
            day=local_day(item.checked_at),
            community_code=item.area_code[:12],
            area_code=item.area_code,
            unit_id=item.assessed_unit_id,
            person_id=item.assessed_person_id,
            spot_checked=1,
            spot_failed=1 if item.result == Result.FAILED else 0,
        )
        for item in items
        if item.result != Result.PENDING and item.checked_at is not None
    ]


def inspection_facts() -> list[Fact]:
    return item_facts(list(InspectionItem.objects.exclude(result=Result.PENDING)))
