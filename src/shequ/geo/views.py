"""Grid management pages: communities with their grid counts, GeoJSON export, and import
in two steps (a dry run that shows every problem, then the confirmed import).

Between the two steps the uploaded file waits in storage under ``geo-imports/``,
named by the user and a random token, so the confirmation needs no second upload
and another user cannot confirm it. The confirmed import checks everything again.
"""

from __future__ import annotations

import re
import secrets

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from shequ.access.models import Role, User
from shequ.access.scopes import area_prefix

from . import geojson
from .forms import GridImportForm
from .models import Region, RegionLevel

PENDING_DIR = "geo-imports"
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
MANAGER_ROLES = (Role.DISTRICT_DISPATCHER, Role.STREET_DISPATCHER)


def _area(request: HttpRequest) -> str | HttpResponse:
    """The code prefix the user manages grids in, a login redirect, or 404 for everyone else."""
    user: User = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    prefix = area_prefix(user) if user.sees_everything or user.role in MANAGER_ROLES else None
    if prefix is None:
        raise Http404
    return prefix


# --- the pending upload between dry run and confirmation ----------------------------------------


def _pending_name(user: User, token: str) -> str:
    return f"{PENDING_DIR}/{user.pk}-{token}.geojson"


def _stash(user: User, raw: bytes) -> str:
    """Keep the checked file for confirmation, dropping the user's earlier unconfirmed ones."""
    if default_storage.exists(PENDING_DIR):
        for name in default_storage.listdir(PENDING_DIR)[1]:
            if name.startswith(f"{user.pk}-"):
                default_storage.delete(f"{PENDING_DIR}/{name}")
    token = secrets.token_hex(16)
    default_storage.save(_pending_name(user, token), ContentFile(raw))
    return token


def _unstash(user: User, token: str) -> bytes | None:
    if not _TOKEN.match(token or ""):
        return None
    name = _pending_name(user, token)
    if not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as f:
        return f.read()


# --- pages --------------------------------------------------------------------------------------


def _communities(area: str) -> list[Region]:
    return list(
        Region.objects.filter(level=RegionLevel.COMMUNITY, code__startswith=area)
        .select_related("parent")
        .annotate(
            grid_count=Count("children", filter=Q(children__level=RegionLevel.GRID)),
            drawn_count=Count("children", filter=Q(children__level=RegionLevel.GRID, children__boundary__isnull=False)),
        )
        .order_by("code")
    )


def _page(request: HttpRequest, area: str, **context) -> HttpResponse:
    context.setdefault("form", GridImportForm())
    area_region = Region.objects.filter(code=area).first() if area else None
    return render(request, "geo/grids.html", {"communities": _communities(area), "area_region": area_region, **context})


@require_http_methods(["GET", "POST"])
def grids(request: HttpRequest) -> HttpResponse:
    area = _area(request)
    if isinstance(area, HttpResponse):
        return area
    if request.method == "GET":
        return _page(request, area)
    if request.POST.get("step") == "confirm":
        return _confirm(request, area)
    return _dry_run(request, area)


def _dry_run(request: HttpRequest, area: str) -> HttpResponse:
    form = GridImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, area, form=form)
    upload = form.cleaned_data["file"]
    raw = upload.read()
    report = geojson.import_grids(raw, dry_run=True, within=area)
    token = _stash(request.user, raw) if report.ok else ""
    return _page(request, area, form=form, report=report, token=token, filename=upload.name)


def _confirm(request: HttpRequest, area: str) -> HttpResponse:
    token = request.POST.get("token", "")
    raw = _unstash(request.user, token)
    if raw is None:
        messages.error(request, _("The checked file is no longer available; upload it and run the check again."))
        return redirect("geo_grids")
    report = geojson.import_grids(raw, within=area)
    if not report.written:
        # The grids changed since the dry run: show what is wrong now (the next dry run clears the file).
        return _page(request, area, report=report, filename=request.POST.get("filename", ""))
    default_storage.delete(_pending_name(request.user, token))
    messages.success(
        request,
        _("Import done: %(created)d grids created, %(updated)d updated, %(unchanged)d unchanged.")
        % {"created": len(report.created), "updated": len(report.updated), "unchanged": len(report.unchanged)},
    )
    return redirect("geo_grids")


@require_GET
def export(request: HttpRequest) -> HttpResponse:
    area = _area(request)
    if isinstance(area, HttpResponse):
        return area
    within = request.GET.get("community", "").strip() or area
    # A community or street inside the user's area; anything else looks missing.
    if not within.startswith(area) or (
        within and not Region.objects.filter(code=within).exclude(level=RegionLevel.GRID).exists()
    ):
        raise Http404
    body = geojson.dumps(geojson.export_grids(within=within))
    response = HttpResponse(body, content_type="application/geo+json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="grids-{within or "all"}.geojson"'
    return response
