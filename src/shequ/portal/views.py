"""The resident portal's pages: they parse input, call ``events.actions`` and render.

Every event read goes through ``events_for(user).filter(reporter=user)``: a
resident sees only their own reports, and anything else is a 404.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, LogoutView
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequ.core.errors import DomainError, NotFound
from shequ.events import actions
from shequ.events.catalog import leaf_categories
from shequ.events.models import OPEN_STATUSES, Channel, Event, Status
from shequ.events.photos import MAX_PHOTOS
from shequ.events.queries import events_for
from shequ.events.rules import allowed_actions
from shequ.geo.models import Region, RegionLevel
from shequ.intake.suggest import suggest

from . import progress
from .forms import LoginForm, RateForm, RegisterForm, ReportForm, add_domain_error

PAGE_SIZE = 10
resident_required = login_required(login_url="portal:login")


class PortalLoginView(LoginView):
    template_name = "portal/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True
    next_page = "portal:report"


class PortalLogoutView(LogoutView):
    next_page = "portal:login"


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("portal:report")
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome! You can report a problem now."))
        return redirect("portal:report")
    return render(request, "portal/register.html", {"form": form})


def _own_events(request: HttpRequest):
    return events_for(request.user).filter(reporter=request.user)


def _own_event(request: HttpRequest, code: str) -> Event:
    event = _own_events(request).select_related("category", "grid", "community").filter(code=code).first()
    if event is None:
        raise Http404(NotFound().message)
    return event


def _category_groups() -> list[dict]:
    """Leaf categories under their groups, for the picker."""
    groups: dict[int | None, dict] = {}
    for category in leaf_categories().order_by("parent__code", "code"):
        parent = category.parent
        key = parent.pk if parent else None
        group = groups.setdefault(key, {"group": parent, "leaves": []})
        group["leaves"].append(category)
    return list(groups.values())


@resident_required
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            event = actions.report(
                by=request.user,
                channel=Channel.RESIDENT,
                description=data["description"],
                category=data["category"],
                lon=data["lon"],
                lat=data["lat"],
                crs=data["crs"] or "wgs84",
                address=data["address"],
                photos=data["photos"],
                publish_description=data["publish_description"],
            )
        except DomainError as e:
            add_domain_error(form, e)
        else:
            messages.success(request, _("Reported. Your report number is %(code)s.") % {"code": event.code})
            return redirect("portal:detail", code=event.code)
    return render(
        request,
        "portal/report.html",
        {
            "form": form,
            "groups": _category_groups(),
            "max_photos": MAX_PHOTOS,
            "chosen_category": str(form["category"].value() or ""),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value not in (None, "") else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


@resident_required
@require_POST
def suggest_categories(request: HttpRequest) -> HttpResponse:
    """The picker's suggestions as the resident types (htmx, debounced): the model's top categories first, and
    reports nearby that look the same, as "category (status)" only (``suggest`` gives residents nothing more).
    Anything the suggestion cannot use (an empty or overlong text, a bad point) answers an empty list, never an
    error: the resident is still writing."""
    text = (request.POST.get("description") or "").strip()
    lon, lat = _number(request.POST.get("lon")), _number(request.POST.get("lat"))
    crs = request.POST.get("crs") or "wgs84"
    found = None
    if text:
        for point in ((lon, lat), (None, None)):
            try:
                found = suggest(
                    text=text,
                    user=request.user,
                    address=request.POST.get("address", ""),
                    lon=point[0],
                    lat=point[1],
                    crs=crs,
                )
                break
            except DomainError:
                continue
    suggestions: list[dict] = []
    if found is not None:
        scored = [s for s in [found.category, *found.alternatives[:2]] if s]
        by_code = leaf_categories().in_bulk([s["code"] for s in scored], field_name="code")
        suggestions = [{"category": by_code[s["code"]], "score": s["score"]} for s in scored if s["code"] in by_code]
    chosen = str(request.POST.get("category") or "")
    return render(
        request,
        "portal/_suggested.html",
        {"suggestions": suggestions, "duplicates": found.duplicates if found else [], "chosen_category": chosen},
    )


@resident_required
@require_GET
def my_reports(request: HttpRequest) -> HttpResponse:
    events = _own_events(request).select_related("category").order_by("-reported_at", "-id")
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {"event": e, "words": progress.status_words(e.status), "steps": progress.progress(e)} for e in page.object_list
    ]
    return render(request, "portal/my_reports.html", {"page": page, "rows": rows})


@resident_required
@require_GET
def detail(request: HttpRequest, code: str) -> HttpResponse:
    event = _own_event(request, code)
    return _render_detail(request, event, RateForm())


def _render_detail(request: HttpRequest, event: Event, rate_form: RateForm, status: int = 200) -> HttpResponse:
    photos = list(event.photos.all())
    can_rate = "rate" in allowed_actions(request.user, event)
    return render(
        request,
        "portal/report_detail.html",
        {
            "event": event,
            "words": progress.status_words(event.status),
            "steps": progress.progress(event),
            "timeline": progress.public_timeline(event, event.timeline.all()),
            "report_photos": [p for p in photos if p.stage == "report"],
            "result_photos": [p for p in photos if p.stage != "report"],
            "can_rate": can_rate,
            "rate_form": rate_form,
            "reopen_max_score": settings.SHEQU_REOPEN_MAX_SCORE,
        },
        status=status,
    )


@resident_required
@require_POST
def rate(request: HttpRequest, code: str) -> HttpResponse:
    event = _own_event(request, code)
    form = RateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            event = actions.rate(
                event, by=request.user, score=data["score"], comment=data["comment"], reopen_if_low=data["reopen"]
            )
        except DomainError as e:
            add_domain_error(form, e)
        else:
            if event.status == Status.DISPATCHED:
                messages.success(request, _("Thank you. The problem has been sent back to be handled again."))
            else:
                messages.success(request, _("Thank you for your rating."))
            return redirect("portal:detail", code=event.code)
    return _render_detail(request, event, form, status=400)


@resident_required
@require_GET
def me(request: HttpRequest) -> HttpResponse:
    counts = _own_events(request).aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        to_rate=Count("id", filter=Q(status=Status.CLOSED, rating__isnull=True)),
    )
    return render(request, "portal/me.html", {"counts": counts})


@resident_required
@require_GET
def map_areas(request: HttpRequest) -> JsonResponse:
    """The grid outlines (GeoJSON, WGS-84) the report map draws and lets the resident tap inside."""
    features = [
        {
            "type": "Feature",
            "geometry": boundary,
            "properties": {"code": code, "name": name},
        }
        for code, name, boundary in Region.objects.filter(level=RegionLevel.GRID, boundary__isnull=False)
        .order_by("code")
        .values_list("code", "name", "boundary")
    ]
    response = JsonResponse({"type": "FeatureCollection", "features": features})
    response["Cache-Control"] = "private, max-age=300"
    return response
