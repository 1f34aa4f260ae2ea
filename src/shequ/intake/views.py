"""The model versions page (智能受理模型): every version with its evaluation and the accuracy over time, "train
now" with a progress bar polled by htmx, and rolling back to an earlier version. District-level staff read it;
district administrators train and roll back (``tasks.may_train``, ``versions.roll_back``)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shequ.access.decorators import staff_required
from shequ.access.models import Role, User
from shequ.core.errors import DomainError

from . import queries, tasks, versions
from .models import ModelVersion, TrainingRun


def _may_read(user: User) -> bool:
    return user.sees_everything or user.role == Role.DISTRICT_DISPATCHER


def _readers_only(request: HttpRequest) -> None:
    # The page names no place, but it is the district's: to anyone else it is missing, as elsewhere.
    if not _may_read(request.user):
        raise Http404


@require_GET
@staff_required
def version_list(request: HttpRequest) -> HttpResponse:
    _readers_only(request)
    found, runs = queries.versions_with_runs()
    return render(
        request,
        "intake/versions.html",
        {
            "versions": found,
            "series": queries.accuracy_series(found),
            "runs": runs,
            "current": tasks.running(),
            "may_train": tasks.may_train(request.user),
        },
    )


@require_POST
@staff_required
def train(request: HttpRequest) -> HttpResponse:
    _readers_only(request)
    try:
        run = tasks.start_training(by=request.user)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("Training started: run %(n)s.") % {"n": run.pk})
    return redirect("intake:versions")


@require_GET
@staff_required
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar of one run (htmx polls it every two seconds until the run ends)."""
    _readers_only(request)
    run = TrainingRun.objects.select_related("version").defer("version__arrays").filter(pk=pk).first()
    if run is None:
        raise Http404
    response = render(request, "intake/_run.html", {"run": run})
    if run.state in (TrainingRun.State.DONE, TrainingRun.State.FAILED) and request.htmx:
        response["HX-Refresh"] = "true"  # the list of versions changed: show it
    return response


@require_POST
@staff_required
def activate(request: HttpRequest, number: int) -> HttpResponse:
    """Roll back (or forward) to version ``number``, after the page's confirmation."""
    _readers_only(request)
    version = ModelVersion.objects.defer("arrays").filter(number=number).first()
    if version is None:
        raise Http404
    try:
        versions.roll_back(version, by=request.user)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("Version v%(n)s is active now.") % {"n": version.number})
    return redirect("intake:versions")
