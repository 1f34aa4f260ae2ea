"""Alert pages (staff), the CAP XML of each alert and the Atom feed of current alerts.

Views parse, call ``actions`` and render; reads go through ``queries`` (scoped, 404 outside the area).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequ.access.decorators import staff_required
from shequ.core import clock
from shequ.core.errors import DomainError, NotFound

from . import actions, cap, queries, upstream
from .forms import AlertForm, FilterForm, ImportForm, ReasonForm
from .models import Alert, AlertTemplate, MsgType, State

PAGE_SIZE = 20

TIMELINE_LABELS = {
    "compose": gettext_lazy("Composed"),
    "edit": gettext_lazy("Edited"),
    "submit": gettext_lazy("Submitted for approval"),
    "approve": gettext_lazy("Approved and sent"),
    "reject": pgettext_lazy("alert", "Rejected"),
    "update": gettext_lazy("Update drafted"),
    "cancel": gettext_lazy("Cancel drafted"),
    "import": gettext_lazy("Imported from upstream"),
    "auto_publish": gettext_lazy("Published by an upstream rule"),
}


def _get(request: HttpRequest, pk: int) -> Alert:
    try:
        return queries.get_alert_for(request.user, pk)
    except NotFound as e:
        raise Http404(e.message) from e


@require_GET
@staff_required
def alert_list(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET or None)
    qs = queries.alerts_for(request.user)
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            qs = qs.filter(Q(headline__icontains=data["q"]) | Q(event__icontains=data["q"]))
        if data["state"]:
            qs = qs.filter(state=data["state"])
        if data["msg_type"]:
            qs = qs.filter(msg_type=data["msg_type"])
        if data["current"]:
            qs = qs.current()
    page = Paginator(qs.select_related("composer").order_by("-created_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "alerts/alert_list.html",
        {
            "form": form,
            "page": page,
            "templates": queries.templates(),
            "may_compose": actions.may_compose(request.user),
            "now": clock.now(),
        },
    )


def _render_form(request: HttpRequest, form: AlertForm, *, alert: Alert | None, template: AlertTemplate | None):
    return render(
        request,
        "alerts/alert_form.html",
        {"form": form, "alert": alert, "template": template, "templates": queries.templates()},
    )


def _save(request: HttpRequest, form: AlertForm, call) -> HttpResponse | None:
    """Run the action; on a refusal put its message on the form (naming the field where it can)."""
    if not form.is_valid():
        return None
    try:
        alert = call(form.to_input())
    except DomainError as e:
        field = {"area": "area_kind", "circle": "circle_radius_km"}.get(e.field or "", e.field)
        form.add_error(field if field in form.fields else None, e.message)
        return None
    messages.success(request, _("Saved. Check the targeted counts, then submit it for approval."))
    return redirect("alerts:detail", pk=alert.pk)


@require_http_methods(["GET", "POST"])
@staff_required
def alert_new(request: HttpRequest) -> HttpResponse:
    if not actions.may_compose(request.user):
        raise Http404
    template = queries.templates().filter(code=request.GET.get("template", "")).first()
    if request.method == "POST":
        form = AlertForm(request.POST, user=request.user)
        done = _save(request, form, lambda data: actions.compose(by=request.user, data=data))
        if done:
            return done
    else:
        initial = AlertForm.initial_from_template(template) if template else {"area_kind": "regions"}
        form = AlertForm(initial=initial, user=request.user)
    return _render_form(request, form, alert=None, template=template)


@require_http_methods(["GET", "POST"])
@staff_required
def alert_edit(request: HttpRequest, pk: int) -> HttpResponse:
    alert = _get(request, pk)
    if alert.state not in (State.DRAFT, State.REJECTED):
        messages.error(request, _("An alert cannot be changed once submitted; after approval send an update."))
        return redirect("alerts:detail", pk=alert.pk)
    if request.method == "POST":
        form = AlertForm(request.POST, user=request.user)
        done = _save(request, form, lambda data: actions.edit(alert, by=request.user, data=data))
        if done:
            return done
    else:
        form = AlertForm(initial=AlertForm.initial_from_alert(alert), user=request.user)
    return _render_form(request, form, alert=alert, template=None)


def _available(alert: Alert, user) -> list[str]:
    """Which buttons to show; the actions check again (a shown button may still be refused)."""
    if not actions.may_compose(user):
        return []
    mine = user.pk in (alert.composer_id, alert.submitted_by_id)
    if alert.state in (State.DRAFT, State.REJECTED):
        return ["edit", "submit"] if alert.state == State.DRAFT else ["edit"]
    if alert.state == State.PENDING:
        return [] if mine else ["approve", "reject"]
    if alert.msg_type != MsgType.CANCEL and alert.superseded_by_id is None:
        return ["update", "cancel"]
    return []


@require_GET
@staff_required
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = _get(request, pk)
    timeline = [
        {"entry": e, "label": TIMELINE_LABELS.get(e.action, e.action)} for e in alert.timeline.select_related("actor")
    ]
    return render(
        request,
        "alerts/alert_detail.html",
        {
            "alert": alert,
            "timeline": timeline,
            "available": _available(alert, request.user),
            "references": alert.references.order_by("created_at"),
            "followups": alert.referenced_by.order_by("created_at"),
            "regions": alert.regions.order_by("code"),
            "reason_form": ReasonForm(),
            "in_force": Alert.objects.current().filter(pk=alert.pk).exists(),
        },
    )


@require_POST
@staff_required
def alert_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Success and refusal both come back with a message; the action decides what is allowed."""
    alert = _get(request, pk)
    back = redirect("alerts:detail", pk=alert.pk)
    user = request.user
    try:
        if action == "submit":
            actions.submit(alert, by=user)
            messages.success(request, _("Submitted. A second person must approve it."))
        elif action == "approve":
            actions.approve(alert, by=user)
            messages.success(request, _("Approved: the alert is out."))
        elif action in ("reject", "cancel"):
            form = ReasonForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Give the reason."))
                return back
            if action == "reject":
                actions.reject(alert, by=user, reason=form.cleaned_data["reason"])
                messages.success(request, _("Rejected. The composer can revise it."))
            else:
                new = actions.cancel(alert, by=user, reason=form.cleaned_data["reason"])
                messages.success(request, _("A cancel message is drafted. Submit it for approval."))
                return redirect("alerts:detail", pk=new.pk)
        elif action == "update":
            new = actions.update(alert, by=user)
            messages.success(request, _("An update is drafted from the original. Change it, then submit it."))
            return redirect("alerts:edit", pk=new.pk)
        else:
            raise Http404
    except DomainError as e:
        messages.error(request, e.message)
    return back


@require_http_methods(["GET", "POST"])
@staff_required
def alert_import(request: HttpRequest) -> HttpResponse:
    if not actions.may_compose(request.user):
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            alert = upstream.import_cap(upload.read(), by=request.user, source=upload.name)
        except DomainError as e:
            form.add_error("file", e.message)
        else:
            if alert.state == State.APPROVED:
                messages.success(request, _("Imported and published by the rule “%(rule)s”.") % {"rule": alert.rule})
            else:
                messages.success(request, _("Imported as a draft: check it and submit it for approval."))
            return redirect("alerts:detail", pk=alert.pk)
    return render(request, "alerts/alert_import.html", {"form": form})


@require_GET
def alert_xml(request: HttpRequest, pk: int) -> HttpResponse:
    """Approved public alerts are public; drafts and restricted ones only for staff in the area."""
    try:
        alert = queries.public_alert(pk)
    except NotFound:
        if not (request.user.is_authenticated and request.user.is_staff_role):
            raise Http404 from None
        alert = _get(request, pk)
    response = HttpResponse(cap.to_xml(alert), content_type="application/cap+xml; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="alert-{alert.pk}.xml"'
    return response
