"""Service orders' pages: residents browse the services offered where they live, order one (for themself or a
household member), follow it, confirm and rate it, or complain (an event); a provider's people see only the
orders made to their provider and take them through accept / decline, assign, done."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST

from shequ.core.errors import DomainError
from shequ.registry.queries import person_of

from ..models import OrderStatus, Slot
from ..orders import actions, queries
from .common import PAGE_SIZE, found, number_of, resident_required


@resident_required
def services_list(request: HttpRequest) -> HttpResponse:
    return render(request, "services/portal/services.html", {"services": queries.services_for(request.user)})


@resident_required
@require_http_methods(["GET", "POST"])
def order_new(request: HttpRequest, pk: int) -> HttpResponse:
    service = found(queries.get_service_for, request.user, pk)
    own = person_of(request.user)
    household = queries.household_of(own) if own is not None else []
    error, field = "", ""
    if request.method == "POST":
        beneficiary = next((p for p in household if str(p.pk) == request.POST.get("beneficiary")), None)
        slot = Slot.objects.filter(service=service, pk=number_of(request.POST.get("slot"))).first()
        try:
            order = actions.place(
                service=service,
                by=request.user,
                beneficiary=beneficiary,
                slot=slot,
                phone=request.POST.get("phone", ""),
                request=request.POST.get("request", ""),
            )
        except DomainError as e:
            error, field = e.message, e.field or ""
        else:
            messages.success(request, _("Ordered. Order number: %(number)s") % {"number": order.number})
            return redirect("services:my_order", number=order.number)
    context = {
        "service": service,
        "slots": queries.open_slots(service),
        "household": household,
        "error": error,
        "error_field": field,
        "posted": request.POST,
    }
    return render(request, "services/portal/order_new.html", context, status=400 if error else 200)


@resident_required
def my_orders(request: HttpRequest) -> HttpResponse:
    qs = queries.orders_for(request.user).filter(ordered_by=request.user)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "services/portal/orders.html", {"page": page})


@resident_required
def my_order(request: HttpRequest, number: str) -> HttpResponse:
    order = found(queries.get_order_for, request.user, number)
    if order.ordered_by_id != request.user.pk:
        raise Http404()
    return render(request, "services/portal/order.html", {"order": order, "timeline": order.timeline.all()})


RESIDENT_STEPS = {
    "confirm": lambda o, u, p: actions.confirm(o, by=u, rating=int(p.get("rating") or 0), comment=p.get("comment", "")),
    "cancel": lambda o, u, p: actions.cancel(o, by=u, reason=p.get("reason", "")),
    "complain": lambda o, u, p: actions.complain(o, by=u, text=p.get("text", "")),
}


@resident_required
@require_POST
def my_order_act(request: HttpRequest, number: str, step: str) -> HttpResponse:
    order = found(queries.get_order_for, request.user, number)
    if step not in RESIDENT_STEPS or order.ordered_by_id != request.user.pk:
        raise Http404()
    try:
        RESIDENT_STEPS[step](order, request.user, request.POST)
    except (DomainError, ValueError) as e:
        messages.error(request, getattr(e, "message", pgettext("services", "A rating is a whole number from 1 to 5.")))
    else:
        messages.success(request, _("Done."))
    return redirect("services:my_order", number=order.number)


# --- the provider ---------------------------------------------------------------------------------------------


def _provider(request: HttpRequest):
    provider = queries.provider_of(request.user)
    if provider is None:
        raise Http404()
    return provider


@login_required
def provider_orders(request: HttpRequest) -> HttpResponse:
    provider = _provider(request)
    qs = queries.orders_for(request.user)
    status = request.GET.get("status", "")
    if status in OrderStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"provider": provider, "page": page, "statuses": OrderStatus.choices, "status": status}
    return render(request, "services/provider/orders.html", context)


@login_required
def provider_order(request: HttpRequest, number: str) -> HttpResponse:
    provider = _provider(request)
    order = found(queries.get_order_for, request.user, number)
    context = {
        "provider": provider,
        "order": order,
        "workers": queries.workers_of(provider),
        "timeline": order.timeline.all(),
    }
    return render(request, "services/provider/order.html", context)


def _worker(provider, pk: str):
    return queries.workers_of(provider).filter(pk=number_of(pk)).first()


PROVIDER_STEPS = {
    "accept": lambda o, u, p, req: actions.accept(o, by=u, note=p.get("note", "")),
    "decline": lambda o, u, p, req: actions.decline(o, by=u, reason=p.get("reason", "")),
    "assign": lambda o, u, p, req: actions.assign(o, by=u, worker=_worker(o.provider, p.get("worker", "")) or u),
    "complete": lambda o, u, p, req: actions.complete(
        o, by=u, note=p.get("note", ""), photos=req.FILES.getlist("photos")
    ),
}


@login_required
@require_POST
def provider_act(request: HttpRequest, number: str, step: str) -> HttpResponse:
    _provider(request)
    order = found(queries.get_order_for, request.user, number)
    if step not in PROVIDER_STEPS:
        raise Http404()
    try:
        PROVIDER_STEPS[step](order, request.user, request.POST, request)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("Done."))
    return redirect("services:provider_order", number=order.number)
