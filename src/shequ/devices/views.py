"""Device pages (staff, at /devices/) and parking guidance (residents, at /portal/parking/): parse, call, render.

Missing and out of scope are both 404 (``queries.get_device_for``); a refused action comes back as a message.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shequ.access.decorators import staff_required
from shequ.access.scopes import manages_area
from shequ.core.errors import DomainError, NotFound

from . import actions, queries
from .models import Alarm, DeviceStatus, DeviceType, Refusal, Task, TaskStatus

PER_PAGE = 30
MAX_MARKERS = 2000


def _device_or_404(request: HttpRequest, code: str):
    try:
        return queries.get_device_for(request.user, code)
    except NotFound as e:
        raise Http404(e.message) from e


@staff_required
def device_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    scoped = queries.devices_for(user)
    q, kind, status, grid = (request.GET.get(k, "").strip() for k in ("q", "type", "status", "grid"))
    found = queries.search(scoped, q=q, type=kind, status=status, grid=grid)
    page = Paginator(found.order_by("area_code", "code"), PER_PAGE).get_page(request.GET.get("page"))
    by = "owner_unit__name" if request.GET.get("by") == "owner" else "grid__name"
    return render(
        request,
        "devices/device_list.html",
        {
            "page": page,
            "q": q,
            "type": kind,
            "status": status,
            "grid": grid,
            "types": DeviceType.choices,
            "statuses": DeviceStatus.choices,
            "by": by,
            "overview": queries.counts_by(scoped, by),
            "may_manage": manages_area(user),
            "open_tasks": queries.tasks_for(user).filter(status=TaskStatus.OPEN).count(),
        },
    )


@staff_required
def device_detail(request: HttpRequest, code: str) -> HttpResponse:
    user = request.user
    device = _device_or_404(request, code)
    recent = [(m, queries.shown_data(m, user)) for m in queries.recent_messages(device)]
    return render(
        request,
        "devices/device_detail.html",
        {
            "device": device,
            "recent": recent,
            "alarms": Alarm.objects.filter(device=device).select_related("rule", "event", "task")[:20],
            "tasks": Task.objects.filter(device=device)[:10],
            "refusals": Refusal.objects.filter(device_code=device.code),
            "may_manage": manages_area(user) and device.status != DeviceStatus.RETIRED,
        },
    )


@require_POST
@staff_required
def device_action(request: HttpRequest, code: str, action: str) -> HttpResponse:
    device = _device_or_404(request, code)
    try:
        if action == "retire":
            actions.retire(device, by=request.user)
            messages.success(request, _("The device is retired: it is no longer heard."))
        elif action in ("key", "signing-key"):
            key, secret = actions.new_key(device, by=request.user, signing=action == "signing-key")
            text = _("New key (shown once, copy it now): %(key)s") % {"key": key}
            if secret:
                text += " " + _("Signing secret: %(secret)s") % {"secret": secret}
            messages.warning(request, text)
        else:
            raise Http404
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("devices:detail", code=device.code)


@require_GET
@staff_required
def map_json(request: HttpRequest) -> JsonResponse:
    """The workbench map's devices layer: each device of the user's scope at its building, with its state."""
    rows = queries.devices_for(request.user).exclude(status=DeviceStatus.RETIRED).order_by("area_code", "code")
    detail = reverse("devices:detail", args=["__code__"])
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [d.building.lon, d.building.lat]},
            "properties": {
                "code": d.code,
                "name": d.name,
                "type": d.get_type_display(),
                "status": d.status,
                "status_label": d.get_status_display(),
                "place": d.place,
                "last": d.last_message_type,
                "last_at": timezone.localtime(d.last_seen_at).strftime("%Y-%m-%d %H:%M") if d.last_seen_at else "",
                "url": detail.replace("__code__", d.code),
            },
        }
        for d in rows[:MAX_MARKERS]
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})


@staff_required
def task_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", TaskStatus.OPEN)
    tasks = queries.tasks_for(request.user)
    if status in TaskStatus.values:
        tasks = tasks.filter(status=status)
    page = Paginator(tasks.order_by("-created_at", "-id"), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "devices/task_list.html", {"page": page, "status": status, "statuses": TaskStatus.choices})


@require_POST
@staff_required
def task_close(request: HttpRequest, pk: int) -> HttpResponse:
    task = queries.tasks_for(request.user).filter(pk=pk).first()
    if task is None:
        raise Http404
    try:
        actions.close_task(task, by=request.user, note=request.POST.get("note", ""))
        messages.success(request, _("Task done."))
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("devices:tasks")


@staff_required
def car_parks(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        try:
            if "unwatch" in request.POST:
                pk = request.POST.get("unwatch", "")
                watch = queries.watch_list_for(user).filter(pk=int(pk)).first() if pk.isdigit() else None
                if watch is None:
                    raise Http404
                actions.unwatch_plate(watch, by=user)
                messages.success(request, _("The plate is no longer watched."))
            else:
                area = request.POST.get("area", "") or (user.region.code if user.region else "")
                actions.watch_plate(
                    by=user, plate=request.POST.get("plate", ""), reason=request.POST.get("reason", ""), area_code=area
                )
                messages.success(request, _("The plate is on the watch list."))
        except DomainError as e:
            messages.error(request, e.message)
        return redirect("devices:car_parks")
    context: dict[str, Any] = {
        "parks": queries.car_parks_for(user).order_by("area_code", "name")[:200],
        "watch": queries.watch_list_for(user).filter(active=True)[:200],
        "may_watch": manages_area(user),
        "show_plates": queries.shows_personal(user),
    }
    return render(request, "devices/car_parks.html", context)


@login_required(login_url="/portal/login/")
def parking(request: HttpRequest) -> HttpResponse:
    """Parking guidance in the portal: each car park's free spaces, fullest last."""
    parks = sorted(queries.car_parks_for(request.user)[:200], key=lambda p: -p.free)
    return render(request, "devices/parking.html", {"parks": parks})
