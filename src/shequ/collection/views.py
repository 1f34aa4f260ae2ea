"""Collection pages: parse, call ``actions`` or ``queries``, render. Grid workers' pages are made for a phone.

Missing and forbidden tasks are both 404 (``queries.get_task_for``); a refused action comes back as a message.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.access.decorators import staff_required
from shequ.access.models import Role
from shequ.core.errors import DomainError, NotFound
from shequ.registry.queries import current_residences, people_for
from shequ.registry.visibility import viewer_for

from . import actions, queries
from .forms import TaskForm
from .models import ItemStatus, TaskItem, TaskStatus

ITEMS_PER_PAGE = 30
TASKS_PER_PAGE = 20


def manager_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Community pages (make tasks, coverage): desk roles and administrators; others see no such page."""

    @wraps(view)
    @staff_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not queries.may_manage(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _found(get: Callable[..., Any], *args: Any) -> Any:
    try:
        return get(*args)
    except NotFound as e:
        raise Http404(e.message) from e


@staff_required
def task_list(request: HttpRequest) -> HttpResponse:
    """A grid worker's own tasks (open first), or the tasks of the grids in a staff member's area."""
    tasks = queries.with_progress(queries.tasks_for(request.user))
    status = request.GET.get("status", "open")
    if status in TaskStatus.values:
        tasks = tasks.filter(status=status)
    else:
        status = "all"
    grid = request.GET.get("grid", "")
    if grid.isdigit():
        tasks = tasks.filter(grid_id=int(grid))
    page = Paginator(tasks.order_by(F("due").asc(nulls_last=True), "-created_at", "-id"), TASKS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "collection/task_list.html",
        {
            "page": page,
            "status": status,
            "statuses": [("open", _("In progress")), ("completed", _("Completed")), ("cancelled", _("Cancelled"))],
            "is_worker": request.user.role == Role.GRID_WORKER,
            "may_manage": queries.may_manage(request.user),
        },
    )


@manager_required
def task_create(request: HttpRequest) -> HttpResponse:
    form = TaskForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            task = actions.create_task(
                grid=data["grid"],
                assignee=data["assignee"],
                by=request.user,
                title=data["title"],
                due=data["due"],
                fields=data["collect"],
            )
        except DomainError as e:
            target = {"fields": "collect"}.get(e.field or "", e.field)
            form.add_error(target if target in form.fields else None, e.message)
        else:
            messages.success(request, _("Task created: %(n)s people to confirm.") % {"n": task.items.count()})
            return redirect("collection:task", pk=task.pk)
    return render(request, "collection/task_form.html", {"form": form})


def _addresses(task_grid_id: int, person_ids: list[int]) -> dict[int, str]:
    """Where each person lives in the task's grid now (one query for a page of items)."""
    found: dict[int, str] = {}
    residences = current_residences().filter(person_id__in=person_ids, dwelling__building__grid_id=task_grid_id)
    for r in residences.select_related("dwelling__building"):
        found.setdefault(r.person_id, str(r.dwelling))
    return found


@staff_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The task's people with progress N/M, a pending/done filter and a name search; staff also see the timeline."""
    task = _found(queries.get_task_for, request.user, pk)
    done, total = queries.task_progress(task)
    show = request.GET.get("show", "pending" if task.status == TaskStatus.OPEN else "all")
    viewer = viewer_for(request.user)
    names_clear = viewer.clear("person.name")  # order and search by name only when names are clear (no oracle)
    items = task.items.select_related("person").order_by(*(("person__name", "id") if names_clear else ("id",)))
    if show == "pending":
        items = items.filter(status=ItemStatus.PENDING)
    elif show == "done":
        items = items.exclude(status=ItemStatus.PENDING)
    else:
        show = "all"
    q = request.GET.get("q", "").strip() if names_clear else ""
    if q:
        items = items.filter(Q(person__name__contains=q) | Q(person__name_initials__startswith=q.lower()))
    page = Paginator(items, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    addresses = _addresses(task.grid_id, [i.person_id for i in page.object_list])
    rows = [(item, addresses.get(item.person_id, "")) for item in page.object_list]
    for item, _address in rows:
        viewer.mask(item.person)  # loaded for this page only: masked in place
    is_assignee = request.user.pk == task.assignee_id
    return render(
        request,
        "collection/task_detail.html",
        {
            "task": task,
            "done": done,
            "total": total,
            "percent": round(100 * done / total) if total else 0,
            "show": show,
            "q": q,
            "page": page,
            "rows": rows,
            "may_submit": is_assignee and task.status == TaskStatus.OPEN,
            "may_cancel": queries.may_manage(request.user) and task.status == TaskStatus.OPEN,
            "entries": [
                entry
                for entry in task.entries.select_related("by", "item__person").order_by("-at", "-id")[:30]
                if entry.item is None or viewer.mask(entry.item.person)
            ]
            if not is_assignee
            else [],
        },
    )


@require_POST
@manager_required
def task_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    task = _found(queries.get_task_for, request.user, pk)
    try:
        actions.cancel_task(task, by=request.user, reason=request.POST.get("reason", ""))
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("The task was cancelled."))
    return redirect("collection:task", pk=task.pk)


def _masked_item(item: TaskItem | None, viewer: Any) -> TaskItem | None:
    if item is not None:
        viewer.mask(item.person)  # loaded for display only
    return item


def _next_pending(item: TaskItem) -> TaskItem | None:
    return item.task.items.filter(status=ItemStatus.PENDING).exclude(pk=item.pk).order_by("person__name", "id").first()


@staff_required
def item_form(request: HttpRequest, pk: int) -> HttpResponse:
    """The smart form: only the fields that are missing or stale, prefilled; 保存 or 信息无误 (all correct)."""
    item = _found(queries.get_item_for, request.user, pk)
    task = item.task
    # The person is read through the base's access point too: one who moved away is not shown any more.
    lives_here = people_for(request.user).filter(pk=item.person_id).exists()
    asks = queries.form_for(item) if lives_here else []
    # A value above the worker's clear level is neither shown nor asked (a missing one may still be filled in);
    # a field the page does not send keeps its value.
    viewer = viewer_for(request.user)
    asks = [a for a in asks if a.missing or viewer.clear(a.field.name)]
    posted: dict[str, str] = {}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        all_correct = request.POST.get("action") == "all_correct"
        posted = {a.name: request.POST.get(a.name, a.value) for a in asks}
        try:
            done = actions.submit(item, by=request.user, values=posted, all_correct=all_correct)
        except actions.FormInvalid as e:
            errors, status = e.errors, 400
            messages.error(request, e.message)
        except DomainError as e:
            messages.error(request, e.message)
            return redirect("collection:item", pk=item.pk)
        else:
            person = viewer.mask(copy.copy(item.person)).name
            if done.changes:
                text = _("%(person)s: saved, %(n)s fields updated.") % {"person": person, "n": done.item.changed}
            else:
                text = _("%(person)s: confirmed, nothing changed.") % {"person": person}
            messages.success(request, text)
            if done.task_completed:
                messages.success(request, _("Every person of this task is done: the task is complete."))
            return redirect(f"{reverse('collection:task', args=[task.pk])}?show=pending")
    fields = [{"ask": a, "value": posted.get(a.name, a.value), "error": errors.get(a.name, "")} for a in asks]
    addresses = _addresses(task.grid_id, [item.person_id])
    return render(
        request,
        "collection/item_form.html",
        {
            "item": item,
            "task": task,
            "person": viewer.mask(copy.copy(item.person)),
            "address": addresses.get(item.person_id, ""),
            "fields": fields,
            "general_error": errors.get("__all__", ""),
            "lives_here": lives_here,
            "may_submit": request.user.pk == task.assignee_id
            and task.status == TaskStatus.OPEN
            and item.status == ItemStatus.PENDING
            and lives_here,
            "next_item": _masked_item(_next_pending(item) if item.done else None, viewer),
        },
        status=status,
    )


@manager_required
def coverage(request: HttpRequest) -> HttpResponse:
    """How much of the base was confirmed within the freshness window, per grid and per grid worker."""
    grids = queries.grid_coverage(request.user)
    grid_page = Paginator(grids, 50).get_page(request.GET.get("page"))
    people = sum(g.people for g in grids)
    confirmed = sum(g.confirmed for g in grids)
    return render(
        request,
        "collection/coverage.html",
        {
            "grid_page": grid_page,
            "workers": queries.worker_coverage(request.user),
            "people": people,
            "confirmed": confirmed,
            "percent": round(100 * confirmed / people) if people else 0,
            "days": queries.fresh_days(),
        },
    )
