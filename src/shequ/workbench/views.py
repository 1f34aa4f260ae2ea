"""The workbench pages: the to-do home, the event list and an event's detail.

Views parse the request, read through ``events.queries`` (always scoped to the
user) and render; writes go through ``action_views`` to ``events.actions``.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from shequ.access.decorators import staff_required
from shequ.core.errors import NotFound
from shequ.events.models import Event, EventPhoto, Stage, Status
from shequ.events.queries import events_for, get_event_for, todo_for
from shequ.events.rules import allowed_actions
from shequ.intake import queries as intake_queries

from .forms import ACTION_FORMS, RANKED_FORMS, EventFilterForm
from .labels import ACTION_BUTTONS, CONFIRM_ACTIONS, TODO_SECTIONS, timeline_label

PAGE_SIZE = 25
HOME_ROWS = 5
LIST_RELATED = ("category", "level", "grid", "community", "unit")


def _status_label(value: str) -> str:
    return str(Status(value).label) if value in Status.values else value


@require_GET
@staff_required
def home(request: HttpRequest) -> HttpResponse:
    lists = todo_for(request.user)
    sections = []
    for key, title in TODO_SECTIONS.items():
        if key not in lists:
            continue
        qs = lists[key]
        sections.append(
            {
                "key": key,
                "title": title,
                "count": qs.count(),
                "rows": list(qs.select_related(*LIST_RELATED)[:HOME_ROWS]),
                "url": f"{reverse('event_list')}?todo={key}",
            }
        )
    return render(request, "workbench/home.html", {"sections": sections})


def _base_queryset(request: HttpRequest, todo: str) -> QuerySet[Event]:
    """A to-do section's exact list when asked for (same rows as the home counts), else all in scope."""
    if todo:
        lists = todo_for(request.user)
        if todo in lists:
            return lists[todo]
    return events_for(request.user)


@require_GET
@staff_required
def event_list(request: HttpRequest) -> HttpResponse:
    form = EventFilterForm(request.GET or None, user=request.user)
    event_filter = form.to_filter() if form.is_bound else None
    todo = form.cleaned_data.get("todo", "") if form.is_bound else ""
    qs = _base_queryset(request, todo)
    if event_filter is not None:
        qs = event_filter.apply(qs)
    page = Paginator(qs.select_related(*LIST_RELATED), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "todo": todo, "todo_title": TODO_SECTIONS.get(todo, "")}
    # htmx swaps only the results; a history restore or a plain request gets the whole page.
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "workbench/_event_results.html", context)
    return render(request, "workbench/event_list.html", context)


@require_GET
@staff_required
def event_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        event = get_event_for(request.user, code=code)
    except NotFound as e:
        raise Http404(e.message) from e
    names = allowed_actions(request.user, event, intake=True)
    # The accept page shows the suggestion (and a desk about to merge or re-categorise sees its ranking too).
    shown = {"accept", "merge", "recategorize"} & set(names)
    suggestion = intake_queries.for_event(event, user=request.user) if shown else None
    forms = [
        {
            "name": name,
            "form": ACTION_FORMS[name](
                event=event,
                user=request.user,
                auto_id=f"id_{name}_%s",
                **({"ranked": suggestion.ranked if suggestion else []} if name in RANKED_FORMS else {}),
            ),
            "button": ACTION_BUTTONS[name],
            "confirm": CONFIRM_ACTIONS.get(name),
        }
        for name in names
        if name in ACTION_FORMS and name != "merge"  # merge: one button per duplicate, in the suggestion
    ]
    timeline = [
        {
            "entry": entry,
            "label": timeline_label(entry.action),
            "from": _status_label(entry.from_status) if entry.from_status else "",
            "to": _status_label(entry.to_status),
        }
        for entry in event.timeline.select_related("actor", "unit")
    ]
    photos = list(event.photos.all())
    photo_groups = [
        {"stage": label, "photos": [p for p in photos if p.stage == value]}
        for value, label in Stage.choices
        if any(p.stage == value for p in photos)
    ]
    area = event.grid or event.community
    map_data = {
        "point": [event.lat, event.lon] if event.lat is not None and event.lon is not None else None,
        "boundary": area.boundary,
        "area": area.name,
    }
    return render(
        request,
        "workbench/event_detail.html",
        {
            "event": event,
            "action_forms": forms,
            "timeline": timeline,
            "photo_groups": photo_groups,
            "map_data": map_data,
            "suggestion": suggestion,
            "can_merge": "merge" in names,
            "merge_confirm": CONFIRM_ACTIONS["merge"],
        },
    )


@require_GET
@login_required
def event_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A photo, to anyone who may see its event (residents too, for their own reports)."""
    photo = EventPhoto.objects.filter(pk=pk).first()
    if photo is None:
        raise Http404
    try:
        get_event_for(request.user, pk=photo.event_id)
    except NotFound as e:
        raise Http404(e.message) from e
    try:
        handle = photo.file.open("rb")
    except FileNotFoundError as e:
        raise Http404 from e
    response = FileResponse(handle, content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response
