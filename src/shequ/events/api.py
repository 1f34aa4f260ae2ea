"""The events API: the catalog, scoped lists and details, reporting, and one POST
per loop action. Handlers parse, call ``events.actions`` and render the detail;
every read goes through ``events.queries`` so an event out of scope is a 404.

Photos: ``POST /events``, ``/{code}/handle`` and ``/{code}/verify`` take either
``application/json`` (no photos) or ``multipart/form-data`` with the same fields
as form fields and the images as repeated ``photos`` files. There is no separate
upload endpoint: photos always arrive with the step they document.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import UTC
from typing import Any, TypeVar

import pydantic
from django.core.files.uploadedfile import UploadedFile
from django.db.models import DateTimeField
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.errors import ValidationError

from shequ.access.masking import mask_name, mask_phone
from shequ.access.models import ApiToken, Role, Unit, User
from shequ.access.scopes import clearance
from shequ.core.errors import InvalidInput, NotFound, PermissionDenied
from shequ.events.rules import allowed_actions, intake_actions
from shequ.geo.models import Region

from . import actions, hooks, memo
from .models import Category, Channel, Event, Level
from .models import Status as EventStatus
from .queries import EventFilter, event_ref_for, events_for, get_event_for
from .schemas import (
    AcceptIn,
    CategoryOut,
    DispatchIn,
    EventDetail,
    EventListQuery,
    EventPage,
    ExtensionDecisionIn,
    ExtensionRequestIn,
    HandleIn,
    LevelOut,
    MergeIn,
    RateIn,
    ReasonIn,
    RecategorizeIn,
    ReportIn,
    SuperviseIn,
    UnitOut,
    VerifyIn,
)

router = Router(tags=["events"])
S = TypeVar("S", bound=pydantic.BaseModel)


# --- helpers shared with Open311 ---------------------------------------------------------------


def report_channel(user: User, token: ApiToken | None) -> str:
    """The channel an event comes in on: the token's own (a hotline system), else by the reporter's role."""
    if token is not None and token.channel in Channel.values:
        return token.channel
    if user.role == Role.RESIDENT:
        return Channel.RESIDENT
    if user.role == Role.GRID_WORKER:
        return Channel.GRID_WORKER
    return Channel.DEPARTMENT


def category_by_code(code: str | None) -> Category | None:
    if not code:
        return None
    category = memo.category(code)
    if category is None:
        raise InvalidInput(_("Unknown category %(code)s.") % {"code": code}, code="unknown_category", field="category")
    return category


def _level(code: str | None) -> Level | None:
    if not code:
        return None
    level = memo.level(code)
    if level is None:
        raise InvalidInput(_("Unknown level %(code)s.") % {"code": code}, code="unknown_level", field="level")
    return level


def _unit(code: str | None) -> Unit | None:
    if not code:
        return None
    unit = Unit.objects.filter(code=code, active=True).first()
    if unit is None:
        raise InvalidInput(_("Unknown unit %(code)s.") % {"code": code}, code="unknown_unit", field="unit")
    return unit


def _region(code: str | None) -> Region | None:
    if not code:
        return None
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise InvalidInput(_("Unknown region %(code)s.") % {"code": code}, code="unknown_region", field="region")
    return region


# --- JSON or multipart bodies --------------------------------------------------------------------


def _inline_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic JSON schema with its ``$defs`` inlined, so it can sit inside an OpenAPI operation."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


def _body_doc(schema: type[pydantic.BaseModel]) -> dict[str, Any]:
    json_schema = _inline_defs(schema.model_json_schema())
    form_schema = {
        **json_schema,
        "properties": {
            **json_schema["properties"],
            "photos": {"type": "array", "items": {"type": "string", "format": "binary"}, "maxItems": 9},
        },
    }
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": json_schema}, "multipart/form-data": {"schema": form_schema}},
        }
    }


def _read_body(request: HttpRequest, schema: type[S]) -> tuple[S, list[UploadedFile]]:
    files: list[UploadedFile] = []
    if request.content_type == "multipart/form-data":
        # Empty form fields mean "not given", as they would be missing from JSON.
        data: Any = {k: v for k, v in request.POST.items() if v != ""}
        files = request.FILES.getlist("photos")
    else:
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError) as e:
            raise InvalidInput(_("The request body is not valid JSON."), code="bad_json") from e
    if not isinstance(data, dict):
        raise InvalidInput(_("The request body must be a JSON object."), code="bad_json")
    try:
        return schema.model_validate(data), files
    except pydantic.ValidationError as e:
        raise ValidationError(
            [{"loc": ("body", *err["loc"]), "msg": err["msg"], "type": err["type"]} for err in e.errors()]
        ) from e


# --- rendering ------------------------------------------------------------------------------------


def _ref(obj: Any) -> dict | None:
    return {"code": obj.code, "name": obj.name} if obj is not None else None


@functools.cache
def _labels(language: str | None) -> dict[str, dict[str, str]]:
    """Status and channel labels in a language: get_FOO_display() rebuilt the choices for every row of a page."""
    return {
        "status": {v: str(lbl) for v, lbl in EventStatus.choices},
        "channel": {v: str(lbl) for v, lbl in Channel.choices},
    }


def event_row(event: Event) -> dict:
    return {
        "code": event.code,
        "status": event.status,
        "status_label": _labels(get_language())["status"].get(event.status, event.status),
        "channel": event.channel,
        "category": _ref(event.category),
        "level": _ref(event.level),
        "description": event.description,
        "address": event.address,
        "area_code": event.area_code,
        "lon": event.lon,
        "lat": event.lat,
        "unit": _ref(event.unit),
        "deadline": event.deadline,
        "overdue": event.overdue,
        "supervised": event.supervised,
        "reported_at": event.reported_at,
        "updated_at": event.updated_at,
    }


def event_detail(user: User, event: Event) -> dict:
    is_reporter = event.reporter_id is not None and event.reporter_id == user.pk
    personal = is_reporter or user.is_staff_role
    # The reporter's name and phone are person data at the dictionary's level for names and phones (L3): masked for
    # staff cleared below it (street and district desks, handlers), as on the workbench page (docs/access.md).
    clear = is_reporter or clearance(user).clear >= 3
    # report() leaves what it wrote on the event (``reported_rows``): the answer to a report need not read it back.
    timeline, photos = getattr(event, "reported_rows", None) or (event.timeline.select_related("actor", "unit"), None)
    return {
        **event_row(event),
        "channel_label": _labels(get_language())["channel"].get(event.channel, event.channel),
        "grid": _ref(event.grid),
        "community": _ref(event.community),
        "street": _ref(event.street),
        "desk": _ref(event.desk),
        "rework_count": event.rework_count,
        "return_count": event.return_count,
        "extension_hours": event.extension_hours,
        "extension_reason": event.extension_reason,
        "result": event.result,
        "rating": event.rating,
        "rating_comment": event.rating_comment,
        "dispatched_at": event.dispatched_at,
        "handled_at": event.handled_at,
        "closed_at": event.closed_at,
        "reporter_name": (event.reporter_name if clear else mask_name(event.reporter_name)) if personal else None,
        "reporter_phone": (event.reporter_phone if clear else mask_phone(event.reporter_phone)) if personal else None,
        "token": str(event.token) if is_reporter else None,
        "photos": [
            {
                "url": p.file.url,
                "stage": p.stage,
                "content_type": p.content_type,
                "size": p.size,
                "created_at": p.created_at,
            }
            for p in (event.photos.all() if photos is None else photos)
        ],
        "timeline": [
            {
                "action": t.action,
                "actor": (t.actor.name or t.actor.username) if t.actor else None,
                "from_status": t.from_status,
                "to_status": t.to_status,
                "unit": _ref(t.unit),
                "note": t.note,
                "at": t.at,
            }
            for t in timeline
        ],
        "actions": allowed_actions(user, event),
        "intake_actions": intake_actions(user, event),
    }


def _fresh_detail(user: User, event: Event) -> dict:
    return event_detail(user, get_event_for(user, pk=event.pk))


_TIMES = [f.attname for f in Event._meta.concrete_fields if isinstance(f, DateTimeField)]


def _detail_in_memory(user: User, event: Event) -> dict:
    """The detail from the event object in hand, its catalogue rows and regions from the memo (no polygons)."""
    for name in _TIMES:  # as a read hands them back: an action computes a deadline in local time, a read has UTC
        value = getattr(event, name)
        if value is not None:
            setattr(event, name, value.astimezone(UTC))
    return event_detail(user, memo.attach(event))


def _reported_detail(user: User, event: Event) -> dict:
    """The detail of the event this user just reported, from the object report() returned: reading it back through
    the scoped query cost a fifth of the request's time."""
    if event.reporter_id != user.pk:
        return _fresh_detail(user, event)  # a source_ref that another account used first: its scope decides
    return _detail_in_memory(user, event)


# --- catalog ------------------------------------------------------------------------------------


@router.get("/categories", response=list[CategoryOut], summary="The category tree, flat")
def list_categories(request: HttpRequest) -> list[dict]:
    categories = Category.objects.filter(active=True).select_related("parent", "default_level")
    with_children = set(Category.objects.filter(active=True, parent__isnull=False).values_list("parent_id", flat=True))
    return [
        {
            "code": c.code,
            "name": c.name,
            "parent": c.parent.code if c.parent else None,
            "leaf": c.pk not in with_children,
            "description": c.description,
            "keywords": c.keywords,
            "default_level": c.default_level.code if c.default_level else None,
        }
        for c in categories.order_by("code")
    ]


@router.get("/levels", response=list[LevelOut], summary="Urgency levels")
def list_levels(request: HttpRequest) -> list[Level]:
    return list(Level.objects.order_by("rank"))


@router.get("/units", response=list[UnitOut], summary="Handling units (staff only)")
def list_units(request: HttpRequest) -> list[dict]:
    if not request.user.is_staff_role:
        raise PermissionDenied(_("Only staff may list the handling units."))
    units = Unit.objects.filter(active=True).select_related("region")
    return [{"code": u.code, "name": u.name, "region": u.region.code, "phone": u.phone} for u in units]


# --- reading and reporting ------------------------------------------------------------------------


@router.get("", response=EventPage, summary="Events in your scope")
def list_events(request: HttpRequest, filters: Query[EventListQuery]) -> dict:
    event_filter = EventFilter(
        status=filters.status or "",
        category=filters.category,
        area=filters.area,
        channel=filters.channel or "",
        overdue=filters.overdue,
        supervised=filters.supervised,
        date_from=filters.date_from,
        date_to=filters.date_to,
        q=filters.q,
    )
    qs = event_filter.apply(events_for(request.user)).select_related("category", "level", "unit")
    start = (filters.page - 1) * filters.page_size
    return {
        "count": qs.count(),
        "page": filters.page,
        "page_size": filters.page_size,
        "items": [event_row(e) for e in qs[start : start + filters.page_size]],
    }


def _category_or_machine(code: str | None, *, channel: str, text: str) -> tuple[Category | None, str]:
    """The category the caller gave. A hotline import without a usable code (none, or one not in the catalogue)
    gets the machine's suggestion instead, marked in the report's timeline note."""
    if channel != Channel.HOTLINE:
        return category_by_code(code), ""
    if code:
        found = memo.category(code)
        if found is not None:
            return found, ""
    machine = hooks.categorise(text)
    if machine is None:
        return None, ""
    category, note = machine
    if code:
        note = _("%(note)s; the code %(code)s given is not in the catalogue.") % {"note": note, "code": code}
    return category, note


@router.post("", response={201: EventDetail}, summary="Report an event", openapi_extra=_body_doc(ReportIn))
def report_event(request: HttpRequest) -> tuple[int, dict]:
    payload, photos = _read_body(request, ReportIn)
    user = request.user
    channel = report_channel(user, getattr(request, "api_token", None))
    category, note = _category_or_machine(payload.category, channel=channel, text=payload.description)
    event = actions.report(
        by=user,
        channel=channel,
        description=payload.description,
        category=category,
        note=note,
        level=_level(payload.level),
        lon=payload.lon,
        lat=payload.lat,
        crs=payload.crs,
        region=_region(payload.region),
        address=payload.address,
        photos=photos,
        reporter_name=payload.reporter_name,
        reporter_phone=payload.reporter_phone,
        source_ref=payload.source_ref,
        publish_description=payload.publish_description,
    )
    return Status(201, _reported_detail(user, event))


@router.get("/{code}", response=EventDetail, summary="One event with its timeline and your actions")
def get_event(request: HttpRequest, code: str) -> dict:
    return event_detail(request.user, get_event_for(request.user, code=code))


# --- the loop actions ---------------------------------------------------------------------------


def _act(request: HttpRequest, code: str, action: Callable[..., Event], **kwargs: Any) -> dict:
    """The action on the event the user may see, answered with the row it locked and changed (issue #16).

    The scope needs only the id (``event_ref_for``); the action reads the row under its lock and checks it, and its
    answer is the row as committed, so reading it back through the scoped query would add nothing. An
    action never narrows who sees the event (area, unit and reporter only ever add), so the answer is in scope.
    """
    event = action(event_ref_for(request.user, code=code), by=request.user, **kwargs)
    return _detail_in_memory(request.user, event)


@router.post("/{code}/accept", response=EventDetail, summary="Accept (立案)")
def accept(request: HttpRequest, code: str, payload: AcceptIn) -> dict:
    return _act(
        request,
        code,
        actions.accept,
        note=payload.note,
        category=category_by_code(payload.category),
        level=_level(payload.level),
    )


@router.post("/{code}/reject", response=EventDetail, summary="Reject (不予立案)")
def reject(request: HttpRequest, code: str, payload: ReasonIn) -> dict:
    return _act(request, code, actions.reject, reason=payload.reason)


@router.post("/{code}/dispatch", response=EventDetail, summary="Dispatch to a unit (派遣)")
def dispatch(request: HttpRequest, code: str, payload: DispatchIn) -> dict:
    return _act(request, code, actions.dispatch, unit=_unit(payload.unit), note=payload.note)


@router.post("/{code}/return", response=EventDetail, summary="Return: not this unit's (退回)")
def return_(request: HttpRequest, code: str, payload: ReasonIn) -> dict:
    return _act(request, code, actions.return_, reason=payload.reason)


@router.post("/{code}/escalate", response=EventDetail, summary="Escalate to the higher desk (提级)")
def escalate(request: HttpRequest, code: str, payload: ReasonIn) -> dict:
    return _act(request, code, actions.escalate, reason=payload.reason)


@router.post("/{code}/request-extension", response=EventDetail, summary="Ask for more time (延期申请)")
def request_extension(request: HttpRequest, code: str, payload: ExtensionRequestIn) -> dict:
    return _act(request, code, actions.request_extension, hours=payload.hours, reason=payload.reason)


@router.post("/{code}/decide-extension", response=EventDetail, summary="Approve or refuse an extension")
def decide_extension(request: HttpRequest, code: str, payload: ExtensionDecisionIn) -> dict:
    return _act(request, code, actions.decide_extension, approve=payload.approve, note=payload.note)


@router.post("/{code}/handle", response=EventDetail, summary="Mark handled (办结)", openapi_extra=_body_doc(HandleIn))
def handle(request: HttpRequest, code: str) -> dict:
    payload, photos = _read_body(request, HandleIn)
    return _act(request, code, actions.handle, result=payload.result, photos=photos)


@router.post("/{code}/verify", response=EventDetail, summary="Verify on site (核查)", openapi_extra=_body_doc(VerifyIn))
def verify(request: HttpRequest, code: str) -> dict:
    payload, photos = _read_body(request, VerifyIn)
    return _act(request, code, actions.verify, passed=payload.passed, note=payload.note, photos=photos)


@router.post("/{code}/rate", response=EventDetail, summary="Rate, by the reporter (评价)")
def rate(request: HttpRequest, code: str, payload: RateIn) -> dict:
    return _act(
        request, code, actions.rate, score=payload.score, comment=payload.comment, reopen_if_low=payload.reopen_if_low
    )


@router.post("/{code}/reopen", response=EventDetail, summary="Reopen after a low rating")
def reopen(request: HttpRequest, code: str, payload: ReasonIn) -> dict:
    return _act(request, code, actions.reopen, reason=payload.reason)


@router.post("/{code}/supervise", response=EventDetail, summary="Supervise (督办)")
def supervise(request: HttpRequest, code: str, payload: SuperviseIn) -> dict:
    return _act(request, code, actions.supervise, note=payload.note)


# --- intake: duplicates and corrected categories (events.rules.INTAKE_RULES) ---------------------------------


@router.post("/{code}/merge", response=EventDetail, summary="Merge a duplicate into the original (合并)")
def merge(request: HttpRequest, code: str, payload: MergeIn) -> dict:
    event = event_ref_for(request.user, code=code)
    into = _original(request.user, payload.into)
    return _detail_in_memory(request.user, actions.merge(event, into=into, by=request.user, note=payload.note))


@router.post("/{code}/recategorize", response=EventDetail, summary="Correct the category (改类)")
def recategorize(request: HttpRequest, code: str, payload: RecategorizeIn) -> dict:
    category = category_by_code(payload.category)
    assert category is not None  # the schema requires a code
    return _act(request, code, actions.recategorize, category=category, note=payload.note)


def _original(user: User, code: str) -> Event:
    """The event to merge into, as the user may see it: one they may not see is as unknown as a missing one."""
    try:
        return event_ref_for(user, code=code.strip())  # merge() locks and reads it
    except NotFound as e:
        raise InvalidInput(
            _("No event %(code)s that you may see.") % {"code": code.strip()}, code="unknown_original", field="into"
        ) from e
