"""Subscription pages for street and district dispatchers and administrators: the list, make and edit, one
subscription with its delivery log (status filter, pages), one delivery with its tries and the replay button, and
everyone's own notices. Views parse, call ``actions`` and render; reads go through ``queries`` (404 out of scope).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequ.access.decorators import staff_required
from shequ.core.errors import DomainError, NotFound
from shequ.workbench.labels import timeline_label

from . import actions, queries
from .forms import DeliveryFilter, ListFilter, ReasonForm, SubscriptionForm
from .models import Subscription

PAGE_SIZE = 20
LOG_PAGE_SIZE = 25

TIMELINE_LABELS = {
    "create": gettext_lazy("Created"),
    "edit": gettext_lazy("Edited"),
    "pause": pgettext_lazy("webhooks", "Paused"),
    "auto_pause": gettext_lazy("Paused after failures"),
    "resume": gettext_lazy("Resumed"),
    "rotate_secret": gettext_lazy("Secret rotated"),
    "replay": gettext_lazy("Delivery replayed"),
}


def manager_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not actions.may_manage_any(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return staff_required(wrapper)


def _get(request: HttpRequest, pk: int) -> Subscription:
    try:
        return queries.get_subscription_for(request.user, pk)
    except NotFound as e:
        raise Http404(e.message) from e


def _fail(form, error: DomainError) -> None:
    name = error.field if error.field in form.fields else None
    form.add_error(name, error.message)


@require_GET
@manager_required
def subscription_list(request: HttpRequest) -> HttpResponse:
    form = ListFilter(request.GET or None)
    qs = queries.with_counts(queries.subscriptions_for(request.user)).select_related("owner")
    if form.is_valid() and form.cleaned_data["state"]:
        qs = qs.filter(state=form.cleaned_data["state"])
    page = Paginator(qs.order_by("name", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    unread = queries.notices_for(request.user).filter(read_at__isnull=True).count()
    return render(request, "webhooks/subscription_list.html", {"form": form, "page": page, "unread": unread})


def _secret_page(request: HttpRequest, sub: Subscription, secret: str) -> HttpResponse:
    # Rendered at once, never redirected: the secret must not sit in a session or a message cookie.
    response = render(request, "webhooks/secret.html", {"sub": sub, "secret": secret})
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@manager_required
def subscription_new(request: HttpRequest) -> HttpResponse:
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sub, secret = actions.create(by=request.user, data=form.to_input())
        except DomainError as e:
            _fail(form, e)
        else:
            return _secret_page(request, sub, secret)
    return render(request, "webhooks/subscription_form.html", {"form": form, "sub": None})


@require_http_methods(["GET", "POST"])
@manager_required
def subscription_edit(request: HttpRequest, pk: int) -> HttpResponse:
    sub = _get(request, pk)
    form = SubscriptionForm(request.POST or None, initial=SubscriptionForm.initial_for(sub))
    if request.method == "POST" and form.is_valid():
        try:
            actions.update(sub, by=request.user, data=form.to_input())
        except DomainError as e:
            _fail(form, e)
        else:
            messages.success(request, _("Subscription saved."))
            return redirect("webhooks:detail", pk=sub.pk)
    return render(request, "webhooks/subscription_form.html", {"form": form, "sub": sub})


@require_GET
@manager_required
def subscription_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sub = _get(request, pk)
    form = DeliveryFilter(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = Paginator(queries.deliveries_of(sub, status=status), LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    timeline = [
        {"label": TIMELINE_LABELS.get(t.action, t.action), "entry": t}
        for t in sub.timeline.select_related("actor", "delivery")[:20]
    ]
    context = {
        "sub": sub,
        "form": form,
        "page": page,
        "timeline": timeline,
        "areas": sub.areas.order_by("code").defer("boundary"),
        "categories": sub.categories.order_by("code"),
        "units": sub.units.all(),
        "action_labels": [timeline_label(a) for a in sub.actions],
        "reason_form": ReasonForm(),
    }
    return render(request, "webhooks/subscription_detail.html", context)


@require_GET
@manager_required
def delivery_detail(request: HttpRequest, pk: int, dpk: int) -> HttpResponse:
    sub = _get(request, pk)
    try:
        delivery = queries.get_delivery_for(request.user, sub, dpk)
    except NotFound as e:
        raise Http404(e.message) from e
    payload = json.dumps(delivery.payload, ensure_ascii=False, indent=2, sort_keys=True)
    return render(
        request,
        "webhooks/delivery_detail.html",
        {"sub": sub, "delivery": delivery, "payload": payload, "tries": delivery.tries.all()[:50]},
    )


@require_POST
@manager_required
def delivery_replay(request: HttpRequest, pk: int, dpk: int) -> HttpResponse:
    sub = _get(request, pk)
    try:
        delivery = queries.get_delivery_for(request.user, sub, dpk)
        actions.replay(delivery, by=request.user)
    except NotFound as e:
        raise Http404(e.message) from e
    except DomainError as e:
        messages.error(request, e.message)
        return redirect("webhooks:delivery", pk=sub.pk, dpk=dpk)
    messages.success(request, _("The delivery goes out again, with the same idempotency key."))
    return redirect("webhooks:delivery", pk=sub.pk, dpk=dpk)


@require_http_methods(["GET", "POST"])
@manager_required
def subscription_delete(request: HttpRequest, pk: int) -> HttpResponse:
    sub = _get(request, pk)
    if request.method == "POST":
        try:
            actions.delete(sub, by=request.user)
        except DomainError as e:
            messages.error(request, e.message)
            return redirect("webhooks:detail", pk=sub.pk)
        messages.success(request, _("Subscription deleted."))
        return redirect("webhooks:list")
    return render(request, "webhooks/subscription_delete.html", {"sub": sub, "count": sub.deliveries.count()})


@require_POST
@manager_required
def subscription_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    sub = _get(request, pk)
    try:
        if action == "pause":
            form = ReasonForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            actions.pause(sub, by=request.user, reason=reason)
            messages.success(request, _("Subscription paused: deliveries wait until it is resumed."))
        elif action == "resume":
            actions.resume(sub, by=request.user)
            messages.success(request, _("Subscription resumed: waiting deliveries go out now."))
        elif action == "rotate":
            return _secret_page(request, sub, actions.rotate_secret(sub, by=request.user))
        else:
            raise Http404(_("Unknown action."))
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("webhooks:detail", pk=sub.pk)


@require_GET
@login_required
def notice_list(request: HttpRequest) -> HttpResponse:
    qs = queries.notices_for(request.user)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "webhooks/notice_list.html", {"page": page})


@require_POST
@login_required
def notice_read(request: HttpRequest) -> HttpResponse:
    actions.mark_read(user=request.user)
    return redirect("webhooks:notices")
