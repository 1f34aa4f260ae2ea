"""Pages of alert delivery: the answer link (no login), the resident's inbox, the gateway's delivery reports,
the grid worker's follow-up list and the live board. They parse, call ``delivery``/``followup`` and render."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequ.access.decorators import staff_required
from shequ.core import clock
from shequ.core.errors import DomainError, NotFound

from . import answers, followup, gateway, queries, sending
from .models import Ack, AckChannel, Alert, Outcome

PAGE_SIZE = 10
resident_required = login_required(login_url="portal:login")

ANSWER_DONE = {
    Ack.RECEIVED: gettext_lazy("Thank you: we know you received the alert."),
    Ack.SAFE: gettext_lazy("Thank you: we are glad you are safe."),
    Ack.NEED_HELP: gettext_lazy("Help is on its way: your community has been told."),
}


def _staff_alert(request: HttpRequest, pk: int) -> Alert:
    try:
        return queries.get_alert_for(request.user, pk)
    except NotFound as e:
        raise Http404(e.message) from e


# --- the answer link ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def ack_link(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the SMS: the signed token names the delivery, so no login is needed."""
    try:
        item = answers.delivery_for_token(token)
    except NotFound as e:
        raise Http404(e.message) from e
    error = ""
    if request.method == "POST":
        try:
            item = answers.acknowledge(
                item, answer=request.POST.get("answer", ""), channel=AckChannel.LINK, by=request.user
            )
        except NotFound as e:
            raise Http404(e.message) from e
        except DomainError as e:
            error = e.message
        else:
            return redirect("alerts:ack", token=token)
    return render(
        request,
        "alerts/ack.html",
        {"alert": item.alert, "item": item, "error": error, "choices": Ack.choices, "done": ANSWER_DONE},
    )


# --- the resident's inbox -----------------------------------------------------------------------------


@require_GET
@resident_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(queries.inbox_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    current = set(Alert.objects.current().filter(pk__in=[a.pk for a in page]).values_list("pk", flat=True))
    return render(
        request,
        "alerts/inbox.html",
        {"page": page, "current": current, "choices": Ack.choices, "done": ANSWER_DONE},
    )


@require_POST
@resident_required
def inbox_ack(request: HttpRequest, pk: int) -> HttpResponse:
    answer = request.POST.get("answer", "")
    try:
        answers.acknowledge_in_portal(pk, user=request.user, answer=answer)
    except NotFound as e:
        raise Http404(e.message) from e
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, ANSWER_DONE[Ack(answer)])
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, {request.get_host()}, require_https=request.is_secure()):
        return redirect(back)
    return redirect("alerts:inbox")


# --- the gateway's delivery reports --------------------------------------------------------------------


@csrf_exempt
@require_POST
def delivery_callback(request: HttpRequest) -> HttpResponse:
    """``{"ref", "status", "error"}`` signed like the gateway's requests; anything unsigned is refused."""
    if not gateway.verify(request.body, request.headers.get(gateway.SIGNATURE_HEADER, ""), gateway.sms_key()):
        return JsonResponse({"code": "bad_signature", "message": _("The signature does not match.")}, status=403)
    try:
        data = json.loads(request.body)
        ref, status = str(data["ref"]), str(data["status"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"code": "invalid_input", "message": _("Expected JSON with ref and status.")}, status=400)
    changed = sending.provider_report(ref=ref, status=status, error=str(data.get("error", "")))
    return JsonResponse({"changed": changed})


# --- follow-up and board (staff) -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_required
def follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    alert = _staff_alert(request, pk)
    if request.method == "POST":
        try:
            followup.record_follow_up(
                alert,
                person_pk=request.POST.get("person"),
                outcome=request.POST.get("outcome", ""),
                note=request.POST.get("note", ""),
                by=request.user,
            )
        except NotFound as e:
            raise Http404(e.message) from e
        except DomainError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, _("Recorded."))
        return redirect("alerts:follow_up", pk=alert.pk)
    rows = followup.follow_up_rows(alert, user=request.user)
    opens = followup.follow_up_from(alert)
    return render(
        request,
        "alerts/follow_up.html",
        {
            "alert": alert,
            "rows": rows,
            "todo": sum(not r.done for r in rows),
            "opens": opens,
            "is_open": opens is not None and clock.now() >= opens,
            "outcomes": Outcome.choices,
        },
    )


@require_GET
@staff_required
def board(request: HttpRequest, pk: int) -> HttpResponse:
    """The whole page, or (htmx polling) just the table."""
    alert = _staff_alert(request, pk)
    grids, total = followup.board(alert, user=request.user)
    context = {"alert": alert, "grids": grids, "total": total, "at": clock.now()}
    if getattr(request, "htmx", False):
        return render(request, "alerts/_board_table.html", context)
    return render(request, "alerts/board.html", context)
