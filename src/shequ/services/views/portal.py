"""The residents' pages of online affairs (the portal's look, phone first): the catalogue, applying with the smart
form, my applications with their progress, resubmitting after a return, withdrawing, the certificate."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from shequ.core.errors import DomainError
from shequ.registry.queries import person_of

from ..affairs import actions, queries
from ..models import AppStatus, ResultKind
from .common import (
    PAGE_SIZE,
    errors_of,
    form_context,
    found,
    posted_files,
    posted_values,
    resident_required,
    status_words,
    timeline,
)

# The steps the resident sees, in order.
STEPS = [
    ("submitted", gettext_lazy("Submitted")),
    ("accepted", gettext_lazy("Accepted for review")),
    ("reviewing", gettext_lazy("Under review")),
    ("done", gettext_lazy("Result")),
]


def _steps(app) -> list[dict]:
    reached = {"submitted": 0, "returned": 0, "reviewing": 2, "approved": 3, "refused": 3, "withdrawn": 3}
    current = reached.get(app.status, 0)
    if app.status == AppStatus.REVIEWING and app.level == 0:
        current = 1
    stopped = app.status in (AppStatus.REFUSED, AppStatus.WITHDRAWN, AppStatus.RETURNED)
    return [
        {
            "label": label,
            "state": "done" if i < current else ("stopped" if stopped else "current") if i == current else "todo",
        }
        for i, (_key, label) in enumerate(STEPS)
    ]


@resident_required
def hub(request: HttpRequest) -> HttpResponse:
    """网上办事: the affairs a resident may apply for, and their open applications."""
    mine = queries.applications_for(request.user)
    context = {
        "affairs": queries.affairs(),
        "open": mine.filter(status__in=[AppStatus.SUBMITTED, AppStatus.RETURNED, AppStatus.REVIEWING])[:5],
        "linked": person_of(request.user) is not None,
    }
    return render(request, "services/portal/hub.html", context)


@resident_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest, code: str) -> HttpResponse:
    affair = found(queries.get_affair, code)
    person = person_of(request.user)
    if person is None:
        return render(request, "services/portal/not_linked.html", {"affair": affair})
    form = queries.form_for(affair, person)
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    top = ""
    if request.method == "POST":
        values = posted_values(request, form)
        try:
            app = actions.submit(
                affair=affair, applicant=person, by=request.user, values=values, files=posted_files(request, affair)
            )
        except DomainError as e:
            errors, top = errors_of(e)
        else:
            messages.success(request, _("Submitted. Application number: %(number)s") % {"number": app.number})
            return redirect("services:my_application", number=app.number)
    context = {"affair": affair, "top": top, **form_context(form, values, errors)}
    return render(request, "services/portal/apply.html", context, status=400 if top else 200)


@resident_required
def my_applications(request: HttpRequest) -> HttpResponse:
    qs = queries.applications_for(request.user)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for app in page.object_list:
        app.words = status_words(app.status)
    return render(request, "services/portal/applications.html", {"page": page})


@resident_required
def my_application(request: HttpRequest, number: str) -> HttpResponse:
    app = found(queries.get_application_for, request.user, number)
    errors: dict[str, str] = {}
    top = ""
    form = None
    if app.status == AppStatus.RETURNED:
        form = queries.form_for(app.affair, app.applicant)
        if request.method == "POST":
            try:
                actions.resubmit(
                    app,
                    by=request.user,
                    values=posted_values(request, form),
                    files=posted_files(request, app.affair),
                )
            except DomainError as e:
                errors, top = errors_of(e)
            else:
                messages.success(request, _("Resubmitted: the community checks it again."))
                return redirect("services:my_application", number=app.number)
    elif request.method == "POST":
        return redirect("services:my_application", number=app.number)
    answers = queries.answers_of(app)
    context = {
        "app": app,
        "words": status_words(app.status),
        "steps": _steps(app),
        "timeline": timeline(app),
        "certificate": getattr(app, "certificate", None) if app.affair.result == ResultKind.CERTIFICATE else None,
        "booking": getattr(app, "booking", None) if app.affair.result == ResultKind.BOOKING else None,
        "top": top,
        "files": app.files.all(),
    }
    if form is not None:
        context.update(form_context(form, {k.split(".", 1)[1]: v for k, v in answers.items()}, errors))
        context["resubmit"] = True
    return render(request, "services/portal/application.html", context, status=400 if top else 200)


@resident_required
@require_POST
def withdraw(request: HttpRequest, number: str) -> HttpResponse:
    app = found(queries.get_application_for, request.user, number)
    try:
        actions.withdraw(app, by=request.user, reason=request.POST.get("reason", ""))
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("The application is withdrawn."))
    return redirect("services:my_application", number=app.number)
