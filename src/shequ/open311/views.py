"""Open311 GeoReport v2 over the event loop (http://wiki.open311.org/GeoReport_v2).

services = our active leaf categories; service requests = events. As the spec has it, GET works without an
``api_key``: then it shows only what may be public (the open feed: categories the catalog marks public, events the
desk has accepted, descriptions and photos only where the reporter agreed, no status notes). With an ``api_key``
(or a logged-in session) GET returns the events that user's grant may see. Reporters' names and phones never
appear. Posting needs an ``api_key``: the event comes in on the token's channel (e.g. hotline).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from shequ.access.models import ApiToken, User
from shequ.access.scopes import user_for_token
from shequ.core import clock
from shequ.core.errors import DomainError
from shequ.events import actions, hooks
from shequ.events.api import report_channel
from shequ.events.catalog import leaf_categories
from shequ.events.models import OPEN_STATUSES, Event, EventPhoto, Stage, Status, TimelineEntry
from shequ.events.queries import events_for

from .render import Open311Error, error, iso, respond

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2025-01-01T00:00:00+08:00"  # when this endpoint's behaviour last changed
MAX_REQUESTS = 1000
DEFAULT_WINDOW = timedelta(days=90)
CLOSED_STATUSES = (Status.CLOSED, Status.REJECTED)


def open311(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer every refusal, ours or the domain's, in the spec's error format."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, fmt=fmt, **kwargs)
        except Open311Error as e:
            return error(fmt, e.status, e.description)
        except DomainError as e:
            return error(fmt, e.status, e.message)

    return wrapper


def _caller(request: HttpRequest, *, key_required: bool) -> tuple[User, ApiToken | None]:
    key = request.POST.get("api_key") or request.GET.get("api_key") or request.headers.get("X-API-Key")
    if key:
        found = user_for_token(key)
        if found is None:
            raise Open311Error(403, _("The api_key is not valid or has been revoked."))
        return found
    user = request.user
    if not key_required and user.is_authenticated and user.is_active:
        return user, None
    raise Open311Error(403, _("An api_key is required."))


def _reader(request: HttpRequest) -> User | None:
    """Who reads: a key's (or a session's) user, or None for the public. A wrong key is refused, never public."""
    has_key = request.GET.get("api_key") or request.headers.get("X-API-Key")
    if not has_key and not request.user.is_authenticated:
        return None
    return _caller(request, key_required=False)[0]


def public_events() -> QuerySet[Event]:
    """The open feed: accepted by a desk (so the category is the desk's, not a guess) and in a public category."""
    return Event.objects.filter(category__public=True).exclude(status__in=(Status.REPORTED, Status.REJECTED))


def _readable(reader: User | None) -> QuerySet[Event]:
    return public_events() if reader is None else events_for(reader)


# --- discovery and services ------------------------------------------------------------------


@require_GET
@open311
def discovery(request: HttpRequest, *, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": fmt})).rsplit("/", 1)[0] + "/"
    data = {
        "changeset": CHANGESET,
        "contact": _("The district's grid management centre."),
        "key_service": _("API keys are issued by the platform's administrators."),
        "endpoints": [
            {
                "specification": SPEC_URL,
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return respond(data, fmt, root="discovery")


def _service(category: Any) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description,
        "metadata": False,
        "type": "realtime",
        "keywords": category.keywords,
        "group": category.parent.name if category.parent else "",
    }


def _services(request: HttpRequest) -> QuerySet[Any]:
    categories = leaf_categories()
    return categories.filter(public=True) if _reader(request) is None else categories


@require_GET
@open311
def services(request: HttpRequest, *, fmt: str) -> HttpResponse:
    return respond([_service(c) for c in _services(request).order_by("code")], fmt, root="services")


@require_GET
@open311
def service_definition(request: HttpRequest, *, service_code: str, fmt: str) -> HttpResponse:
    if not _services(request).filter(code=service_code).exists():
        raise Open311Error(404, _("No service with the code %(code)s.") % {"code": service_code})
    # Our services have no extra attributes (metadata=false): the spec's structure, empty.
    return respond({"service_code": service_code, "attributes": []}, fmt, root="service_definition")


# --- service requests ------------------------------------------------------------------------


def _with_extras(qs: QuerySet[Event]) -> QuerySet[Event]:
    last_note = TimelineEntry.objects.filter(event=OuterRef("pk")).exclude(note="").order_by("-at", "-id")
    first_photo = EventPhoto.objects.filter(event=OuterRef("pk"), stage=Stage.REPORT).order_by("created_at", "id")
    return qs.select_related("category", "unit").annotate(
        last_note=Subquery(last_note.values("note")[:1]), first_photo=Subquery(first_photo.values("file")[:1])
    )


def _request_row(request: HttpRequest, event: Any, *, public: bool = False) -> dict[str, Any]:
    # The public sees the reporter's words and photos only with their consent, and no staff notes at all.
    shown = not public or event.publish_description
    media = request.build_absolute_uri(default_storage.url(event.first_photo)) if event.first_photo else None
    return {
        "service_request_id": event.code,
        "status": "open" if event.status in OPEN_STATUSES else "closed",
        "status_notes": "" if public else event.last_note or "",
        "service_name": event.category.name if event.category else "",
        "service_code": event.category.code if event.category else "",
        "description": event.description if shown else "",
        "agency_responsible": event.unit.name if event.unit else "",
        "service_notice": "",
        "requested_datetime": iso(event.reported_at),
        "updated_datetime": iso(event.updated_at),
        "expected_datetime": iso(event.deadline),
        "address": event.address,
        "address_id": "",
        "zipcode": "",
        "lat": event.lat,
        "long": event.lon,
        "media_url": media if shown else None,
    }


def _date(request: HttpRequest, name: str) -> datetime | None:
    text = request.GET.get(name, "").strip()
    if not text:
        return None
    try:
        value = parse_datetime(text)
    except ValueError:
        value = None
    if value is None:
        raise Open311Error(400, _("%(name)s is not an ISO 8601 date and time.") % {"name": name})
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _search(request: HttpRequest, qs: QuerySet[Event]) -> QuerySet[Event]:
    if ids := request.GET.get("service_request_id", "").strip():
        # The spec: with service_request_id every other parameter is ignored.
        return qs.filter(code__in=[i.strip() for i in ids.split(",") if i.strip()][:MAX_REQUESTS])
    if codes := request.GET.get("service_code", "").strip():
        qs = qs.filter(category__code__in=[c.strip() for c in codes.split(",") if c.strip()])
    if statuses := request.GET.get("status", "").strip():
        wanted = {s.strip() for s in statuses.split(",") if s.strip()}
        if not wanted <= {"open", "closed"}:
            raise Open311Error(400, _("status must be open or closed."))
        allowed = (OPEN_STATUSES if "open" in wanted else ()) + (CLOSED_STATUSES if "closed" in wanted else ())
        qs = qs.filter(status__in=allowed)
    start, end = _date(request, "start_date"), _date(request, "end_date")
    if start is None and end is None:
        start = clock.now() - DEFAULT_WINDOW
    if start is not None:
        qs = qs.filter(reported_at__gte=start)
    if end is not None:
        qs = qs.filter(reported_at__lte=end)
    return qs


def _full_name(first: str, last: str) -> str:
    if first.isascii() and last.isascii():
        return f"{first} {last}".strip()
    return f"{last}{first}"  # Chinese order: family name first, no space


def _coordinate(request: HttpRequest, name: str, bound: float) -> float:
    try:
        value = float(request.POST[name])
    except ValueError as e:
        raise Open311Error(400, _("%(name)s is not a number.") % {"name": name}) from e
    if not -bound <= value <= bound:
        raise Open311Error(400, _("%(name)s is out of range.") % {"name": name})
    return value


def _category_for(code: str, description: str) -> tuple[Any, str]:
    """The service (leaf category) asked for. Without a usable code (none, or not one of ours) the machine's
    suggestion from the description is taken and marked as such in the timeline; with no suggestion, a 400."""
    category = leaf_categories().filter(code=code).first() if code else None
    if category is not None:
        return category, ""
    machine = hooks.categorise(description)
    if machine is None:
        if not code:
            raise Open311Error(400, _("service_code is required."))
        raise Open311Error(400, _("No service with the code %(code)s.") % {"code": code})
    category, note = machine
    if code:
        note = _("%(note)s; the code %(code)s given is not in the catalogue.") % {"note": note, "code": code}
    return category, note


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    user, token = _caller(request, key_required=True)
    data = request.POST
    jurisdiction = data.get("jurisdiction_id", "").strip()
    if jurisdiction and jurisdiction != settings.SHEQU_DISTRICT_CODE:
        raise Open311Error(
            400,
            _("Unknown jurisdiction_id %(given)s: this platform serves %(ours)s.")
            % {"given": jurisdiction, "ours": settings.SHEQU_DISTRICT_CODE},
        )
    if not (data.get("lat", "").strip() and data.get("long", "").strip()):
        raise Open311Error(
            400,
            _("Give lat and long: requests are placed in a grid by their location; an address alone is not enough."),
        )
    lat, lon = _coordinate(request, "lat", 90), _coordinate(request, "long", 180)
    description = data.get("description", "").strip()
    if not description:
        raise Open311Error(400, _("description is required."))
    category, note = _category_for(data.get("service_code", "").strip(), description)
    if media_url := data.get("media_url", "").strip():
        # No field for a remote photo: keep the link where the desk will read it.
        description += "\n" + _("Photo: %(url)s") % {"url": media_url}
    event = actions.report(
        by=user,
        channel=report_channel(user, token),
        description=description,
        category=category,
        note=note,
        lon=lon,
        lat=lat,
        address=data.get("address_string", ""),
        reporter_name=_full_name(data.get("first_name", "").strip(), data.get("last_name", "").strip())[:50],
        reporter_phone=data.get("phone", "").strip()[:30],
        # An extension to the spec: the caller says the reporter agreed to publish the description.
        publish_description=data.get("publish_description", "").strip().lower() in ("true", "1"),
    )
    row = {"service_request_id": event.code, "token": str(event.token), "service_notice": "", "account_id": None}
    return respond([row], fmt, root="service_requests", status=201)


@csrf_exempt  # authenticated by api_key, never by a cookie
@require_http_methods(["GET", "POST"])
@open311
def requests(request: HttpRequest, *, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    reader = _reader(request)
    events = _with_extras(_search(request, _readable(reader))).order_by("-reported_at", "-id")
    rows = [_request_row(request, e, public=reader is None) for e in events[:MAX_REQUESTS]]
    return respond(rows, fmt, root="service_requests")


@require_GET
@open311
def request_detail(request: HttpRequest, *, request_id: str, fmt: str) -> HttpResponse:
    reader = _reader(request)
    event = _with_extras(_readable(reader)).filter(code=request_id).first()
    if event is None:
        raise Open311Error(404, _("No service request %(id)s, or you may not see it.") % {"id": request_id})
    return respond([_request_row(request, event, public=reader is None)], fmt, root="service_requests")


@require_GET
@open311
def token_detail(request: HttpRequest, *, token: str, fmt: str) -> HttpResponse:
    reader = _reader(request)
    try:
        event = _readable(reader).filter(token=token).first()
    except ValidationError:  # not a UUID at all
        event = None
    if event is None:
        raise Open311Error(404, _("No service request for this token, or you may not see it."))
    return respond([{"service_request_id": event.code, "token": str(event.token)}], fmt, root="service_requests")
