"""Every write of service orders. One transaction and one ``OrderEntry`` per step, ``audit.record`` for each.

    place (a resident, for themself or a household member; a grid worker from a care visit) -> placed
    accept | decline (the provider)      -> accepted | declined
    assign (the provider, one of its people) -> assigned
    complete (the provider: note, photos) -> done
    confirm (the resident: rating 1-5)   -> confirmed
    cancel (the resident, before done)   -> cancelled
    complain (the resident, any time after placing) -> an event through ``events.actions.report``

A slot holds at most ``capacity`` orders (checked with the slot row locked). The provider gets a contact name and
phone, and the address only for a home service: copied into the order when it is placed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from shequ import audit
from shequ.access.models import User
from shequ.access.scopes import covers
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition, PermissionDenied
from shequ.events import actions as events
from shequ.events.models import Channel, Event
from shequ.events.photos import check_photos
from shequ.geo.models import Region
from shequ.registry.models import Person
from shequ.registry.queries import current_residences, person_of

from ..models import HOLDING_STATUSES, OrderEntry, OrderPhoto, OrderStatus, Provider, Service, ServiceOrder, Slot
from . import queries

REQUEST_MAX = 500
MAX_PHOTOS = 3


def _entry(order: ServiceOrder, action: str, *, by: User | None, from_status: str, note: str = "") -> None:
    OrderEntry.objects.create(
        order=order, action=action, actor=by, from_status=from_status, to_status=order.status, note=note, at=clock.now()
    )
    audit.record("write", actor=by, target=order, detail={"action": f"order.{action}", "to": order.status})


def _lock(order: ServiceOrder) -> ServiceOrder:
    return ServiceOrder.objects.select_for_update(of=("self",)).select_related("provider", "service").get(pk=order.pk)


def _move(order: ServiceOrder, to: str, action: str, *, by: User, note: str = "", fields: Sequence[str] = ()) -> None:
    from_status, order.status, order.updated_at = order.status, to, clock.now()
    order.save(update_fields=["status", "updated_at", *fields])
    _entry(order, action, by=by, from_status=from_status, note=note)


def _require_provider(order: ServiceOrder, by: User) -> None:
    if not queries.is_provider_staff(by, order.provider):
        raise PermissionDenied(_("Only the provider of this order can do that."), code="not_provider")


def _require_orderer(order: ServiceOrder, by: User) -> None:
    if by.pk != order.ordered_by_id:
        raise PermissionDenied(_("Only whoever placed the order can do that."), code="not_orderer")


def _require(order: ServiceOrder, *statuses: str) -> None:
    if order.status not in statuses:
        raise InvalidTransition(
            _("Not possible for an order that is %(status)s.") % {"status": order.get_status_display()}
        )


@transaction.atomic
def place(
    *,
    service: Service,
    by: User,
    beneficiary: Person | None = None,
    slot: Slot | None = None,
    phone: str = "",
    request: str = "",
) -> ServiceOrder:
    """点单: a resident orders a service offered where they live, for themself or a member of their household
    (a grid worker, for the person they visit); in a slot with room left, when the service has slots."""
    own = person_of(by)
    beneficiary = beneficiary or own
    if beneficiary is None:
        raise InvalidInput(
            _("Your account is not linked to a record of the community base yet: ask your community."),
            code="no_person",
        )
    home = (
        current_residences()
        .filter(person=beneficiary)
        .select_related("dwelling__building__grid")
        .order_by("start", "id")
        .first()
    )
    if home is None:
        raise InvalidInput(_("The community base has no home for this person."), code="no_home", field="beneficiary")
    grid = home.dwelling.building.grid
    if by.is_staff_role:
        if not covers(by, grid.code):
            raise PermissionDenied(_("This person lives outside your area."), code="outside_area")
    elif own is None or beneficiary.pk not in {p.pk for p in queries.household_of(own)}:
        raise PermissionDenied(_("You may order only for yourself or your household."), code="not_household")
    if not service.active or not service.provider.active or not grid.code.startswith(service.area.code):
        raise InvalidInput(_("This service is not offered where this person lives."), code="service_unavailable")
    if service.slots.exists():
        if slot is None or slot.service_id != service.pk:
            raise InvalidInput(_("Choose a time."), code="slot_required", field="slot")
        slot = Slot.objects.select_for_update().get(pk=slot.pk)
        if slot.start <= clock.now():
            raise InvalidInput(_("This time has passed: choose another."), code="slot_past", field="slot")
        if ServiceOrder.objects.filter(slot=slot, status__in=HOLDING_STATUSES).count() >= slot.capacity:
            raise InvalidInput(_("This time is fully booked: choose another."), code="slot_full", field="slot")
    elif slot is not None:
        raise InvalidInput(_("This service takes no times."), code="slot_unexpected", field="slot")
    request = (request or "").strip()
    if len(request) > REQUEST_MAX:
        raise InvalidInput(
            pgettext("services", "At most %(n)s characters.") % {"n": REQUEST_MAX}, code="too_long", field="request"
        )
    contact_phone = (phone or "").strip() or beneficiary.phone or (own.phone if own else "") or by.phone
    if not contact_phone:
        raise InvalidInput(_("Give a phone number the provider can call."), code="phone_required", field="phone")
    now = clock.now()
    order = ServiceOrder.objects.create(
        number=uuid.uuid4().hex[:30],
        service=service,
        provider=service.provider,
        slot=slot,
        ordered_by=by,
        beneficiary=beneficiary,
        area_code=grid.code,
        contact_name=beneficiary.name,
        contact_phone=contact_phone[:20],
        address=str(home.dwelling) if service.at_home else "",
        request=request,
        price=0 if service.free else service.price,
        placed_at=now,
        updated_at=now,
    )
    order.number = f"FW{timezone.localtime(now):%Y%m%d}{order.pk:06d}"
    order.save(update_fields=["number"])
    _entry(order, "place", by=by, from_status="", note=request)
    return order


@transaction.atomic
def accept(order: ServiceOrder, *, by: User, note: str = "") -> ServiceOrder:
    """接单."""
    order = _lock(order)
    _require_provider(order, by)
    _require(order, OrderStatus.PLACED)
    _move(order, OrderStatus.ACCEPTED, "accept", by=by, note=note.strip())
    return order


@transaction.atomic
def decline(order: ServiceOrder, *, by: User, reason: str) -> ServiceOrder:
    """拒单, with the reason the resident reads."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give the reason for declining."), code="reason_required", field="reason")
    order = _lock(order)
    _require_provider(order, by)
    _require(order, OrderStatus.PLACED)
    _move(order, OrderStatus.DECLINED, "decline", by=by, note=reason)
    return order


@transaction.atomic
def assign(order: ServiceOrder, *, by: User, worker: User) -> ServiceOrder:
    """派人: one of the provider's own people does it."""
    order = _lock(order)
    _require_provider(order, by)
    _require(order, OrderStatus.ACCEPTED, OrderStatus.ASSIGNED)
    if not queries.is_provider_staff(worker, order.provider) or not worker.is_active:
        raise InvalidInput(_("Choose one of the provider's own people."), code="not_provider_staff", field="worker")
    order.worker = worker
    _move(order, OrderStatus.ASSIGNED, "assign", by=by, note=str(worker), fields=["worker"])
    return order


@transaction.atomic
def complete(order: ServiceOrder, *, by: User, note: str, photos: Sequence[UploadedFile] = ()) -> ServiceOrder:
    """完成: what was done, with photos (JPEG, PNG, WebP)."""
    note = (note or "").strip()
    if not note:
        raise InvalidInput(pgettext("services", "Say what was done."), code="note_required", field="note")
    if len(photos) > MAX_PHOTOS:
        raise InvalidInput(_("At most %(n)s photos.") % {"n": MAX_PHOTOS}, code="photo_count", field="photos")
    checked = check_photos(photos)
    order = _lock(order)
    _require_provider(order, by)
    _require(order, OrderStatus.ASSIGNED)
    order.done_note = note
    _move(order, OrderStatus.DONE, "complete", by=by, note=note, fields=["done_note"])
    for upload, kind in checked:
        OrderPhoto.objects.create(
            order=order, file=upload, content_type=kind, size=upload.size or 0, uploaded_by=by, created_at=clock.now()
        )
    return order


@transaction.atomic
def confirm(order: ServiceOrder, *, by: User, rating: int, comment: str = "") -> ServiceOrder:
    """确认 and 评价 1-5, once, by whoever placed it."""
    if rating not in range(1, 6):
        raise InvalidInput(
            pgettext("services", "A rating is a whole number from 1 to 5."), code="bad_rating", field="rating"
        )
    order = _lock(order)
    _require_orderer(order, by)
    _require(order, OrderStatus.DONE)
    order.rating, order.rating_comment = rating, (comment or "").strip()[:500]
    _move(
        order,
        OrderStatus.CONFIRMED,
        "confirm",
        by=by,
        note=f"{rating}★ {order.rating_comment}".strip(),
        fields=["rating", "rating_comment"],
    )
    return order


@transaction.atomic
def cancel(order: ServiceOrder, *, by: User, reason: str = "") -> ServiceOrder:
    order = _lock(order)
    _require_orderer(order, by)
    _require(order, OrderStatus.PLACED, OrderStatus.ACCEPTED, OrderStatus.ASSIGNED)
    _move(order, OrderStatus.CANCELLED, "cancel", by=by, note=(reason or "").strip())
    return order


@transaction.atomic
def complain(order: ServiceOrder, *, by: User, text: str) -> Event:
    """投诉: becomes an event of the event loop (resident channel, in the grid of the order's home), once per
    order; the order's timeline names the event."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("Say what went wrong."), code="complaint_required", field="text")
    order = _lock(order)
    _require_orderer(order, by)
    if order.complaint_id is not None:
        raise InvalidTransition(_("This order has been complained about already."), code="already_complained")
    grid = Region.objects.get(code=order.area_code)
    description = _("Complaint about service order %(number)s (%(service)s, %(provider)s): %(text)s") % {
        "number": order.number,
        "service": order.service.name,
        "provider": order.provider.name,
        "text": text,
    }
    event = events.report(
        by=by,
        channel=Channel.GRID_WORKER if by.is_staff_role else Channel.RESIDENT,
        description=description[: events.MAX_DESCRIPTION],
        region=grid,
        source_ref=f"service-order-{order.pk}",
    )
    order.complaint = event
    order.updated_at = clock.now()
    order.save(update_fields=["complaint", "updated_at"])
    _entry(order, "complain", by=by, from_status=order.status, note=event.code)
    return event


# --- the provider's catalogue ----------------------------------------------------------------------------------


def _require_staff_of(provider: Provider, by: User) -> None:
    if not (queries.is_provider_staff(by, provider) or by.sees_everything):
        raise PermissionDenied(_("Only the provider's own people change its services."), code="not_provider")


@transaction.atomic
def publish_service(
    *,
    provider: Provider,
    by: User,
    name: str,
    area: Region,
    description: str = "",
    free: bool = True,
    price: Decimal | int | str = 0,
    price_unit: str = "",
    at_home: bool = True,
    active: bool = True,
    service: Service | None = None,
) -> Service:
    """A new service of the provider (or a change to one of its services), offered inside the provider's area:
    free basic (price 0) or paid value-added (a price above 0)."""
    _require_staff_of(provider, by)
    if service is not None and service.provider_id != provider.pk:
        raise PermissionDenied(_("Only the provider's own people change its services."), code="not_provider")
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise InvalidInput(_("Give the service a name (at most 60 characters)."), code="name_required", field="name")
    if not area.code.startswith(provider.area.code):
        raise InvalidInput(_("The area must lie inside the provider's area."), code="outside_area", field="area")
    try:
        amount = Decimal(str(price or 0)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("Enter the price in yuan, such as 30 or 12.5."), code="bad_price", field="price") from None
    if amount < 0 or amount >= Decimal("1000000"):
        raise InvalidInput(_("Enter the price in yuan, such as 30 or 12.5."), code="bad_price", field="price")
    if not free and amount == 0:
        raise InvalidInput(_("A paid service needs a price."), code="price_required", field="price")
    service = service or Service(provider=provider)
    service.name, service.area, service.description = name, area, (description or "").strip()
    service.free, service.price, service.price_unit = free, Decimal(0) if free else amount, (price_unit or "")[:20]
    service.at_home, service.active = at_home, active
    created = service.pk is None
    service.save()
    audit.record("write", actor=by, target=service, detail={"action": "service.publish" if created else "service.edit"})
    return service


@transaction.atomic
def add_slot(service: Service, *, by: User, start: datetime, end: datetime, capacity: int) -> Slot:
    _require_staff_of(service.provider, by)
    if end <= start:
        raise InvalidInput(_("The end must come after the start."), code="end_before_start", field="end")
    if start <= clock.now():
        raise InvalidInput(_("Choose a time still to come."), code="slot_past", field="start")
    if not 1 <= capacity <= 500:
        raise InvalidInput(_("Capacity is a number from 1 to 500."), code="bad_capacity", field="capacity")
    slot = Slot.objects.create(service=service, start=start, end=end, capacity=capacity)
    audit.record("write", actor=by, target=service, detail={"action": "service.add_slot"})
    return slot


@transaction.atomic
def remove_slot(slot: Slot, *, by: User) -> None:
    _require_staff_of(slot.service.provider, by)
    if ServiceOrder.objects.filter(slot=slot).exists():
        raise InvalidTransition(_("Orders were placed for this time: it stays."), code="slot_in_use")
    audit.record("write", actor=by, target=slot.service, detail={"action": "service.remove_slot"})
    slot.delete()
