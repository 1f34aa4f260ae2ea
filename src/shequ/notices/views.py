"""Notice pages: the staff's list, compose/edit with a preview, detail with read counts per grid; the residents'
inbox in the portal. Views parse, call ``actions`` and render; reads go through ``queries`` (404 out of scope).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequ.access.decorators import staff_required
from shequ.core import clock
from shequ.core.errors import DomainError, NotFound

from . import actions, queries, rendering
from .forms import AttachmentForm, FilterForm, NoticeForm, ReasonForm
from .models import Notice, NoticeAttachment, State

PAGE_SIZE = 20
RESIDENT_PAGE_SIZE = 10
resident_required = login_required(login_url="portal:login")

TIMELINE_LABELS = {
    "compose": gettext_lazy("Drafted"),
    "edit": gettext_lazy("Edited"),
    "publish": pgettext_lazy("notice", "Published"),
    "withdraw": pgettext_lazy("notice", "Withdrawn"),
}


def _get(request: HttpRequest, pk: int) -> Notice:
    try:
        return queries.get_notice_for(request.user, pk)
    except NotFound as e:
        raise Http404(e.message) from e


def _annotate_in_force(notices) -> None:
    now = clock.now()
    for n in notices:
        n.in_force = (
            n.state == State.PUBLISHED
            and n.publish_at is not None
            and n.publish_at <= now
            and (n.expires_at is None or n.expires_at > now)
        )
        n.scheduled = n.state == State.PUBLISHED and n.publish_at is not None and n.publish_at > now


@require_GET
@staff_required
def notice_list(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET or None)
    qs = queries.notices_for(request.user)
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            qs = qs.filter(Q(title__icontains=data["q"]) | Q(body__icontains=data["q"]))
        if data["state"]:
            qs = qs.filter(state=data["state"])
        if data["current"]:
            qs = qs.filter(queries._in_force())
    qs = qs.select_related("author").order_by("-pinned", "-created_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    _annotate_in_force(page.object_list)
    return render(
        request,
        "notices/notice_list.html",
        {
            "form": form,
            "page": page,
            "may_write": actions.may_write(request.user),
            "inbox_unread": queries.notices_for_staff(request.user).filter(unread=True).count(),
        },
    )


@require_GET
@staff_required
def staff_inbox(request: HttpRequest) -> HttpResponse:
    """Notices addressed to the staff member's role and area."""
    page = Paginator(queries.notices_for_staff(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notices/staff_inbox.html", {"page": page})


def _render_form(request: HttpRequest, form: NoticeForm, *, notice: Notice | None, preview: str | None = None):
    return render(request, "notices/notice_form.html", {"form": form, "notice": notice, "preview": preview})


def _save(request: HttpRequest, form: NoticeForm, call) -> HttpResponse | None:
    """Run the action; a refusal goes on the form (naming the field where it can)."""
    if not form.is_valid():
        return None
    try:
        notice = call(form.to_input())
    except DomainError as e:
        form.add_error(e.field if e.field in form.fields else None, e.message)
        return None
    messages.success(request, _("Saved."))
    return redirect("notices:detail", pk=notice.pk)


@require_http_methods(["GET", "POST"])
@staff_required
def notice_new(request: HttpRequest) -> HttpResponse:
    if not actions.may_write(request.user):
        raise Http404
    if request.method == "POST":
        form = NoticeForm(request.POST, user=request.user)
        if "preview" in request.POST:
            return _render_form(request, form, notice=None, preview=rendering.render(request.POST.get("body", "")))
        done = _save(request, form, lambda data: actions.compose(by=request.user, data=data))
        if done:
            return done
    else:
        form = NoticeForm(user=request.user)
    return _render_form(request, form, notice=None)


@require_http_methods(["GET", "POST"])
@staff_required
def notice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _get(request, pk)
    if not actions.may_manage(request.user, notice) or notice.state == State.WITHDRAWN:
        messages.error(request, _("You may not change this notice."))
        return redirect("notices:detail", pk=notice.pk)
    if request.method == "POST":
        form = NoticeForm(request.POST, user=request.user)
        if "preview" in request.POST:
            return _render_form(request, form, notice=notice, preview=rendering.render(request.POST.get("body", "")))
        done = _save(request, form, lambda data: actions.edit(notice, by=request.user, data=data))
        if done:
            return done
    else:
        form = NoticeForm(initial=NoticeForm.initial_from(notice), user=request.user)
    return _render_form(request, form, notice=notice)


@require_POST
@staff_required
def notice_preview(request: HttpRequest) -> HttpResponse:
    """The sanitised HTML of a body, for the live preview beside the textarea (htmx)."""
    return render(request, "notices/_preview.html", {"preview": rendering.render(request.POST.get("body", ""))})


@require_GET
@staff_required
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _get(request, pk)
    if queries.notices_for_staff(request.user).filter(pk=notice.pk).exists():
        actions.mark_read(notice, user=request.user)
    rows = queries.read_counts(notice, request.user)
    timeline = [
        {"entry": e, "label": TIMELINE_LABELS.get(e.action, e.action)} for e in notice.timeline.select_related("actor")
    ]
    _annotate_in_force([notice])
    return render(
        request,
        "notices/notice_detail.html",
        {
            "notice": notice,
            "regions": notice.regions.order_by("code"),
            "tags": notice.audience_tags.all(),
            "files": notice.attachments.all(),
            "rows": rows,
            "total": queries.totals(rows),
            "timeline": timeline,
            "may_manage": actions.may_manage(request.user, notice),
            "reason_form": ReasonForm(),
            "attachment_form": AttachmentForm(),
        },
    )


@require_POST
@staff_required
def notice_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    notice = _get(request, pk)
    back = redirect("notices:detail", pk=notice.pk)
    try:
        if action == "publish":
            actions.publish(notice, by=request.user)
            messages.success(request, _("Published."))
        elif action == "withdraw":
            form = ReasonForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Give the reason."))
                return back
            actions.withdraw(notice, by=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, _("Withdrawn: residents no longer see it."))
        elif action == "attach":
            form = AttachmentForm(request.POST, request.FILES)
            if not form.is_valid():
                messages.error(request, _("Choose a file."))
                return back
            actions.attach(notice, form.cleaned_data["file"], by=request.user)
            messages.success(request, _("Attachment added."))
        else:
            raise Http404
    except DomainError as e:
        messages.error(request, e.message)
    return back


@require_POST
@staff_required
def attachment_delete(request: HttpRequest, pk: int, file_pk: int) -> HttpResponse:
    notice = _get(request, pk)
    attachment = notice.attachments.filter(pk=file_pk).first()
    if attachment is None:
        raise Http404
    try:
        actions.detach(attachment, by=request.user)
        messages.success(request, _("Attachment removed."))
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("notices:detail", pk=notice.pk)


def _may_see(user, notice_id: int) -> bool:
    if user.is_staff_role:
        return queries.notices_for(user).filter(pk=notice_id).exists()
    return queries.notices_for_resident(user).filter(pk=notice_id).exists()


@require_GET
@login_required
def attachment_file(request: HttpRequest, pk: int) -> FileResponse:
    """An attachment, to anyone who may see its notice (staff in the area, residents it reaches)."""
    attachment = NoticeAttachment.objects.filter(pk=pk).first()
    if attachment is None or not _may_see(request.user, attachment.notice_id):
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as e:
        raise Http404 from e
    inline = attachment.content_type.startswith("image/") or attachment.content_type == "application/pdf"
    response = FileResponse(
        handle, content_type=attachment.content_type, as_attachment=not inline, filename=attachment.name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- residents (portal) ------------------------------------------------------------------------------


@require_GET
@resident_required
def resident_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(queries.notices_for_resident(request.user), RESIDENT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notices/resident_list.html", {"page": page})


@require_GET
@resident_required
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        notice = queries.get_resident_notice(request.user, pk)
    except NotFound as e:
        raise Http404(e.message) from e
    actions.mark_read(notice, user=request.user)
    return render(request, "notices/resident_detail.html", {"notice": notice, "files": notice.attachments.all()})
