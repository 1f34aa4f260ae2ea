"""Service orders over the API (/api/services/): the services offered where the resident lives, placing an order for
oneself or a household member, the orders the asker may see (a resident's own, a provider's made to it, the desks'
of their area), and each step: the resident confirms and rates, cancels or complains; the provider accepts,
declines, assigns one of its people, completes (photos through the provider's page). Reads through
``orders.queries`` (out of scope is a 404, like missing), writes through ``orders.actions``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status

from shequ.core.errors import InvalidInput
from shequ.registry.queries import person_of

from .models import OrderStatus, ServiceOrder, Slot
from .orders import actions, queries
from .schemas import OfferedOut, OrderDetail, OrderEntryOut, OrderOut, OrderPage, OrderStepIn, PlaceIn, SlotOut

router = Router(tags=["services"])
PAGE_SIZE = 50
NUMBER = Path(..., max_length=30)
RESIDENT_STEPS = ("confirm", "cancel", "complain")
PROVIDER_STEPS = ("accept", "decline", "assign", "complete")


def _order(o: ServiceOrder) -> dict[str, Any]:
    return {
        "number": o.number,
        "service": o.service.name,
        "provider": o.provider.name,
        "status": o.status,
        "status_label": str(OrderStatus(o.status).label),
        "slot_start": o.slot.start if o.slot else None,
        "slot_end": o.slot.end if o.slot else None,
        "price": o.price,
        "contact_name": o.contact_name,
        "contact_phone": o.contact_phone,
        "address": o.address,
        "request": o.request,
        "worker": str(o.worker) if o.worker else "",
        "done_note": o.done_note,
        "rating": o.rating,
        "rating_comment": o.rating_comment,
        "complaint": o.complaint.code if o.complaint_id and o.complaint else None,
        "placed_at": o.placed_at,
    }


def _detail(o: ServiceOrder) -> OrderDetail:
    o = queries.orders_for_detail(o)
    timeline = [
        OrderEntryOut(action=e.action, from_status=e.from_status, to_status=e.to_status, note=e.note, at=e.at)
        for e in o.timeline.all()
    ]
    return OrderDetail(**_order(o), timeline=timeline)


@router.get("/offered", response=list[OfferedOut], summary="Services offered where I live, with their open times")
def offered(request: HttpRequest) -> list[OfferedOut]:
    return [
        OfferedOut(
            id=s.pk,
            name=s.name,
            provider=s.provider.name,
            provider_kind=s.provider.kind,
            description=s.description,
            area=s.area.name,
            free=s.free,
            price=s.price,
            price_unit=s.price_unit,
            at_home=s.at_home,
            slots=[
                SlotOut(id=t.pk, start=t.start, end=t.end, capacity=t.capacity, taken=t.taken)  # type: ignore[attr-defined]
                for t in queries.open_slots(s)
            ],
        )
        for s in queries.services_for(request.user)
    ]


@router.post("/offered/{pk}/orders", response={201: OrderDetail}, summary="Order a service (点单)")
def place(request: HttpRequest, body: PlaceIn, pk: int = Path(..., ge=1, le=2**31 - 1)) -> Status:
    service = queries.get_service_for(request.user, pk)
    own = person_of(request.user)
    beneficiary = None
    if body.beneficiary is not None and own is not None:
        beneficiary = next((p for p in queries.household_of(own) if p.pk == body.beneficiary), None)
        if beneficiary is None:
            raise InvalidInput(
                _("You may order only for yourself or your household."), code="not_household", field="beneficiary"
            )
    slot = None
    if body.slot is not None:
        slot = Slot.objects.filter(service=service, pk=body.slot).first()
        if slot is None:
            raise InvalidInput(_("Choose a time."), code="slot_required", field="slot")
    order = actions.place(
        service=service, by=request.user, beneficiary=beneficiary, slot=slot, phone=body.phone, request=body.request
    )
    return Status(201, _detail(order))


@router.get("/orders", response=OrderPage, summary="Orders I may see (mine; a provider's: those made to it)")
def list_orders(
    request: HttpRequest, page: int = Query(1, ge=1, le=10_000), status: str = Query("", max_length=20)
) -> OrderPage:
    qs = queries.orders_for(request.user).select_related("complaint")
    if status:
        qs = qs.filter(status=status)
    rows = list(qs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])
    return OrderPage(count=qs.count(), page=page, results=[OrderOut(**_order(o)) for o in rows])


@router.get("/orders/{number}", response=OrderDetail, summary="One order and its timeline")
def get_order(request: HttpRequest, number: str = NUMBER) -> OrderDetail:
    return _detail(queries.get_order_for(request.user, number))


@router.post(
    "/orders/{number}/{step}",
    response=OrderDetail,
    summary="A step: confirm (rating), cancel, complain (text); accept, decline (reason), assign (worker), complete",
)
def order_step(
    request: HttpRequest,
    body: OrderStepIn,
    number: str = NUMBER,
    step: str = Path(..., pattern="^(" + "|".join(RESIDENT_STEPS + PROVIDER_STEPS) + ")$"),
) -> OrderDetail:
    order = queries.get_order_for(request.user, number)
    user = request.user
    if step == "confirm":
        order = actions.confirm(order, by=user, rating=body.rating or 0, comment=body.comment)
    elif step == "cancel":
        order = actions.cancel(order, by=user, reason=body.reason)
    elif step == "complain":
        actions.complain(order, by=user, text=body.text)
    elif step == "accept":
        order = actions.accept(order, by=user, note=body.note)
    elif step == "decline":
        order = actions.decline(order, by=user, reason=body.reason)
    elif step == "assign":
        mine = queries.is_provider_staff(user, order.provider)  # else the action refuses: no list of its people
        worker = queries.workers_of(order.provider).filter(pk=body.worker or 0).first() if mine else user
        if worker is None:
            raise InvalidInput(_("Choose one of the provider's own people."), code="not_provider_staff", field="worker")
        order = actions.assign(order, by=user, worker=worker)
    else:
        order = actions.complete(order, by=user, note=body.note)
    return _detail(order)
