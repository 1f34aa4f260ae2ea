"""A provider's own catalogue: its people publish and edit its services (area inside the provider's area, free basic
or paid value-added with a price, at home or not) and their time slots with capacity. Every write goes through
``orders.actions`` (publish_service, add_slot, remove_slot); anyone who is not one of the provider's people gets a
404, and a provider never sees another's services here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from shequ.core.errors import DomainError, InvalidInput
from shequ.geo.models import Region

from ..models import HOLDING_STATUSES, Provider, Service, Slot
from ..orders import actions, queries
from .common import number_of


def _provider(request: HttpRequest) -> Provider:
    provider = queries.provider_of(request.user)
    if provider is None:
        raise Http404()
    return provider


def _service(provider: Provider, pk: int) -> Service:
    found = queries.services_of(provider).filter(pk=pk).first()
    if found is None:
        raise Http404()
    return found


def areas_of(provider: Provider) -> QuerySet[Region]:
    return Region.objects.filter(code__startswith=provider.area.code).order_by("code")


def _publish(request: HttpRequest, provider: Provider, service: Service | None) -> Service:
    post = request.POST
    area = areas_of(provider).filter(pk=number_of(post.get("area"))).first()
    if area is None:
        raise InvalidInput(_("The area must lie inside the provider's area."), code="outside_area", field="area")
    return actions.publish_service(
        provider=provider,
        by=request.user,
        name=post.get("name", ""),
        area=area,
        description=post.get("description", ""),
        free=post.get("free") == "1",
        price=post.get("price", "") or 0,
        price_unit=post.get("price_unit", ""),
        at_home=bool(post.get("at_home")),
        active=bool(post.get("active")) if service is not None else True,
        service=service,
    )


def _context(provider: Provider, **more: Any) -> dict[str, Any]:
    return {"provider": provider, "areas": areas_of(provider), "error": "", "error_field": "", **more}


@login_required
@require_http_methods(["GET", "POST"])
def services(request: HttpRequest) -> HttpResponse:
    """The provider's services, and the form to publish a new one."""
    provider = _provider(request)
    context = _context(provider, posted=request.POST)
    if request.method == "POST":
        try:
            service = _publish(request, provider, None)
        except DomainError as e:
            context.update(error=e.message, error_field=e.field or "")
        else:
            messages.success(request, _("Published. Add its times below."))
            return redirect("services:provider_service", pk=service.pk)
    context["services"] = queries.services_of(provider).annotate(slot_count=Count("slots"))
    return render(request, "services/provider/services.html", context, status=400 if context["error"] else 200)


def _slots(service: Service) -> QuerySet[Slot]:
    return service.slots.annotate(
        taken=Count("serviceorder", filter=Q(serviceorder__status__in=HOLDING_STATUSES))
    ).order_by("start")


@login_required
@require_http_methods(["GET", "POST"])
def service(request: HttpRequest, pk: int) -> HttpResponse:
    """One service: edit it (or stop offering it), its slots."""
    provider = _provider(request)
    found = _service(provider, pk)
    context = _context(provider, service=found, posted=None)
    if request.method == "POST":
        try:
            _publish(request, provider, found)
        except DomainError as e:
            context.update(error=e.message, error_field=e.field or "", posted=request.POST)
            found.refresh_from_db()
        else:
            messages.success(request, _("Saved."))
            return redirect("services:provider_service", pk=found.pk)
    context["slots"] = _slots(found)
    return render(request, "services/provider/service.html", context, status=400 if context["error"] else 200)


def _when(text: str) -> datetime:
    try:
        value = datetime.fromisoformat((text or "").strip())
    except ValueError:
        raise InvalidInput(_("Enter a date and time, such as 2026-06-02 09:00."), code="bad_time") from None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


@login_required
@require_POST
def add_slot(request: HttpRequest, pk: int) -> HttpResponse:
    provider = _provider(request)
    found = _service(provider, pk)
    capacity = number_of(request.POST.get("capacity"))
    try:
        actions.add_slot(
            found,
            by=request.user,
            start=_when(request.POST.get("start", "")),
            end=_when(request.POST.get("end", "")),
            capacity=capacity,
        )
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("The time is added."))
    return redirect("services:provider_service", pk=found.pk)


@login_required
@require_POST
def remove_slot(request: HttpRequest, pk: int, slot: int) -> HttpResponse:
    provider = _provider(request)
    found = _service(provider, pk)
    chosen = found.slots.filter(pk=slot).first()
    if chosen is None:
        raise Http404()
    try:
        actions.remove_slot(chosen, by=request.user)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("The time is removed."))
    return redirect("services:provider_service", pk=found.pk)
