"""The staff pages of online affairs: the to-do lists, the application list with search, an application with its
steps (accept, return for material, review, refuse), the attachments, and the counter (代办) where staff apply on a
resident's behalf."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequ.access.decorators import staff_required
from shequ.core.errors import DomainError, NotFound
from shequ.registry.queries import people_with_id_number, scoped_people
from shequ.registry.visibility import viewer_for

from ..affairs import actions, queries
from ..aid.queries import sees_aid
from ..models import ApplicationAttachment, AppStatus, ResultKind
from .common import (
    LEVEL_LABELS,
    PAGE_SIZE,
    errors_of,
    form_context,
    found,
    kept_from_base,
    posted_files,
    posted_values,
    status_words,
    timeline,
)

LISTS = {
    "to_accept": gettext_lazy("To accept"),
    "to_review": gettext_lazy("To review"),
    "overdue": gettext_lazy("Overdue"),
}


@require_GET
@staff_required
def applications(request: HttpRequest) -> HttpResponse:
    """All applications of the user's area, or one of their to-do lists, with a search box."""
    todo = queries.todo_for(request.user)
    chosen = request.GET.get("list", "")
    qs = todo[chosen] if chosen in todo else queries.applications_for(request.user)
    status = request.GET.get("status", "")
    if status in AppStatus.values:
        qs = qs.filter(status=status)
    qs = queries.search_applications(qs, request.GET.get("q", ""))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    viewer = viewer_for(request.user)
    for app in page.object_list:
        app.applicant_name = viewer.shown("person.name", app.applicant.name)
        app.words = status_words(app.status)
        app.level_name = LEVEL_LABELS.get(queries.level_of(app), "")
    context = {
        "page": page,
        "lists": [(key, LISTS[key], qs_.count()) for key, qs_ in todo.items()],
        "chosen": chosen,
        "statuses": AppStatus.choices,
        "status": status,
        "q": request.GET.get("q", ""),
        "may_counter": queries.may_accept_any(request.user) or request.user.role == "grid_worker",
        "may_aid": sees_aid(request.user),
    }
    return render(request, "services/staff/applications.html", context)


@staff_required
@require_GET
def application(request: HttpRequest, number: str) -> HttpResponse:
    app = found(queries.get_application_for, request.user, number)
    answers = queries.answers_of(app)
    fields = queries.dictionary_fields(list(answers))
    viewer = viewer_for(request.user)
    context = {
        "app": app,
        "words": status_words(app.status),
        "level_name": LEVEL_LABELS.get(queries.level_of(app), ""),
        "applicant_name": viewer.shown("person.name", app.applicant.name),
        "answers": [(fields[n].label if n in fields else n, viewer.shown(n, v)) for n, v in answers.items()],
        "files": app.files.all(),
        "timeline": timeline(app),
        "may_accept": app.status == AppStatus.SUBMITTED and queries.may_accept(request.user, app),
        "may_review": queries.may_review(request.user, app),
        "certificate": getattr(app, "certificate", None) if app.affair.result == ResultKind.CERTIFICATE else None,
        "booking": getattr(app, "booking", None) if app.affair.result == ResultKind.BOOKING else None,
    }
    return render(request, "services/staff/application.html", context)


STEPS = {
    "accept": lambda app, user, post: actions.accept(app, by=user, note=post.get("note", "")),
    "return": lambda app, user, post: actions.return_for_material(app, by=user, missing=post.get("missing", "")),
    "review": lambda app, user, post: actions.review(app, by=user, note=post.get("note", "")),
    "refuse": lambda app, user, post: actions.refuse(app, by=user, reason=post.get("reason", "")),
}


@staff_required
@require_POST
def act(request: HttpRequest, number: str, step: str) -> HttpResponse:
    app = found(queries.get_application_for, request.user, number)
    if step not in STEPS:
        raise Http404()
    try:
        STEPS[step](app, request.user, request.POST)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("Done."))
    return redirect("services:application", number=app.number)


@staff_required
@require_GET
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    """An application's file, for staff who see the application (and its applicant: ``mine_attachment``)."""
    found_file = ApplicationAttachment.objects.filter(
        pk=pk, application__in=queries.applications_for(request.user)
    ).first()
    if found_file is None:
        raise Http404()
    return FileResponse(found_file.file.open("rb"), content_type=found_file.content_type, filename=found_file.name)


# --- the counter (代办) --------------------------------------------------------------------------------------------


@staff_required
@require_GET
def counter(request: HttpRequest) -> HttpResponse:
    """Find the resident by ID number and name (both must match, inside the user's area), then choose the affair."""
    id_number = (request.GET.get("id_number") or "").strip()
    name = (request.GET.get("name") or "").strip()
    person = None
    error = ""
    if id_number or name:
        candidate = scoped_people(request.user).filter(pk__in=people_with_id_number(id_number).values("pk")).first()
        if candidate is None or candidate.name != name:
            error = _("No person with this ID number and name in the community base (within your area).")
        else:
            person = candidate
    context = {"person": person, "error": error, "id_number": id_number, "name": name, "affairs": queries.affairs()}
    return render(request, "services/staff/counter.html", context, status=404 if error else 200)


@staff_required
@require_http_methods(["GET", "POST"])
def counter_apply(request: HttpRequest, person: int, code: str) -> HttpResponse:
    affair = found(queries.get_affair, code)
    applicant = scoped_people(request.user).filter(pk=person).first()
    if applicant is None or not queries.may_apply_for(request.user, applicant):
        raise Http404(NotFound().message)
    form = queries.form_for(affair, applicant)
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    top = ""
    if request.method == "POST":
        values = posted_values(request, form)
        try:
            app = actions.submit(
                affair=affair,
                applicant=applicant,
                by=request.user,
                values=kept_from_base(form, values),
                files=posted_files(request, affair),
            )
        except DomainError as e:
            errors, top = errors_of(e)
        else:
            messages.success(request, _("Submitted on the resident's behalf: %(number)s") % {"number": app.number})
            return redirect("services:application", number=app.number)
    viewer = viewer_for(request.user)
    context = {
        "affair": affair,
        "applicant_name": viewer.shown("person.name", applicant.name),
        "top": top,
        **form_context(form, values, errors, viewer=viewer),
    }
    return render(request, "services/staff/counter_apply.html", context, status=400 if top else 200)
