"""The community API (/api/community/): what a resident's mini program needs. Handlers parse, call the domain
modules and render; reads go through ``queries`` (out of scope is a 404). Postings take an idempotency key in
the body (or the ``Idempotency-Key`` header): a retried request posts once.

Deliberation (proposals, votes, decisions) is in ``api_deliberation``, mounted into this router; what both share is
in ``api_common``. Listings are created with ``application/json`` or ``multipart/form-data`` (the same fields,
photos as repeated ``photos`` files), like events.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from shequ.core.errors import InvalidInput, NotFound
from shequ.events.api import _body_doc, _read_body
from shequ.geo.models import Region, RegionLevel

from . import activities, around, market, queries, scopes, shop, timebank, volunteering
from .api_common import PK, idempotency_key, paged, region_ref
from .api_deliberation import router as deliberation_router
from .models import TRANSFER_KINDS, Activity, Listing, Redemption
from .schemas import (
    ActivityDetail,
    ActivityPage,
    ActivityQuery,
    CheckinOut,
    CodeIn,
    FamilyIn,
    FitnessOut,
    HomeOut,
    ItemOut,
    ListingAction,
    ListingActionIn,
    ListingDetail,
    ListingIn,
    ListingPage,
    ListingQuery,
    MeOut,
    MonthQuery,
    PageQuery,
    RedeemIn,
    RedemptionOut,
    StatementsOut,
    TransferOut,
)

router = Router(tags=["community"])


# --- me, activities, check-in ---------------------------------------------------------------------------------


@router.get("/me", response=MeOut, summary="The resident's community life at a glance")
def me(request: HttpRequest) -> dict:
    person = scopes.person_for(request.user)
    volunteer = volunteering.active_volunteer(person)
    return {
        "linked": person is not None,
        "communities": [region_ref(c) for c in scopes.home_communities(request.user)],
        "balances": queries.balances(person),
        "volunteer": volunteer is not None,
        "skills": [s.name for s in volunteer.skills.all()] if volunteer else [],
        "fitness_this_month": queries.fitness_month(person),
    }


def _activity_row(a: Activity) -> dict:
    return {
        "id": a.pk,
        "kind": a.kind,
        "kind_label": str(a.get_kind_display()),
        "title": a.title,
        "place": a.place,
        "community": region_ref(a.community),
        "next_start": getattr(a, "next_start", None),
        "capacity": a.capacity,
        "state": a.state,
    }


@router.get("/activities", response=ActivityPage, summary="Activities of your communities, soonest first")
def list_activities(request: HttpRequest, filters: Query[ActivityQuery]) -> dict:
    qs = queries.activities_for_resident(request.user, kind=filters.kind).select_related("community")
    count, items = paged(qs, filters.page)
    return {"count": count, "page": filters.page, "items": [_activity_row(a) for a in items]}


def _activity_detail(request: HttpRequest, activity: Activity) -> dict:
    person = scopes.person_for(request.user)
    attended = {a.session_id: a for a in queries.attendance_of(person).filter(session__activity=activity)}
    return {
        **_activity_row(activity),
        "description": activity.description,
        "signed_up": queries.signed_up(activity, person),
        "taken": activities.signed_count(activity),
        "over": activities.is_over(activity),
        "skills": [s.name for s in activity.skills.all()],
        "sessions": [
            {
                "id": s.pk,
                "starts_at": s.starts_at,
                "ends_at": s.ends_at,
                "attended_minutes": attended[s.pk].minutes if s.pk in attended else None,
                "checked_in": s.pk in attended,
            }
            for s in activity.sessions.all()
        ],
    }


@router.get("/activities/{id}", response=ActivityDetail, summary="One activity with its sessions")
def get_activity(request: HttpRequest, id: int = PK) -> dict:
    return _activity_detail(request, queries.get_activity_for_resident(request.user, id))


@router.post("/activities/{id}/signup", response=ActivityDetail, summary="Sign up (while places last)")
def sign_up(request: HttpRequest, id: int = PK) -> dict:
    activity = queries.get_activity_for_resident(request.user, id)
    activities.sign_up(activity, by=request.user)
    return _activity_detail(request, activity)


@router.post("/activities/{id}/cancel", response=ActivityDetail, summary="Cancel your sign-up")
def cancel_sign_up(request: HttpRequest, id: int = PK) -> dict:
    activity = queries.get_activity_for_resident(request.user, id)
    activities.cancel_sign_up(activity, by=request.user)
    return _activity_detail(request, activity)


@router.post("/checkin", response=CheckinOut, summary="Scan a session's QR code: check in, then out (hours)")
def check_in(request: HttpRequest, payload: CodeIn) -> dict:
    attendance, step = activities.scan(payload.code, by=request.user)
    return {
        "step": step,
        "activity": attendance.session.activity_id,
        "session": attendance.session_id,
        "minutes": attendance.minutes,
        "hours_credited": attendance.transfer_id is not None,
    }


@router.post("/fitness/checkin", response=FitnessOut, summary="Scan a fitness spot's QR code (once a day)")
def fitness_check_in(request: HttpRequest, payload: CodeIn) -> dict:
    done = activities.fitness_check_in(payload.code, by=request.user)
    return {"spot": done.checkin.spot.name, "new": done.new, "this_month": done.month}


# --- hours and points -----------------------------------------------------------------------------------------


def _statement(st: Any) -> dict:
    return {
        "opening": st.opening,
        "received": st.received,
        "spent": st.spent,
        "closing": st.closing,
        "lines": [
            {
                "at": line.transfer.at,
                "kind": line.transfer.kind,
                "label": str(TRANSFER_KINDS.get(line.transfer.kind, line.transfer.kind)),
                "memo": line.transfer.memo,
                "amount": line.amount,
            }
            for line in st.lines
        ],
    }


@router.get("/statement", response=StatementsOut, summary="The month's statement of your hours and points")
def statement(request: HttpRequest, filters: Query[MonthQuery]) -> dict:
    person = scopes.person_for(request.user)
    start, _end = queries.month_bounds(filters.month or None)
    both = queries.monthly_statement(person, filters.month or None)
    return {"month": start.strftime("%Y-%m"), "time": _statement(both["time"]), "points": _statement(both["points"])}


@router.post("/time/transfers", response={201: TransferOut}, summary="Move hours within your household")
def family_transfer(request: HttpRequest, payload: FamilyIn) -> Status:
    person = scopes.person_for(request.user)
    if person is None:
        raise NotFound()
    kind, _sep, pk = payload.to.partition(":")
    members = {str(p.pk): p for p in timebank.family_of(person)}
    households = {str(h.pk): h for h in timebank.households_of(person)}
    target = {
        "person": {"to_person": members.get(pk)},
        "household": {"to_household": households.get(pk)},
        "from-household": {"from_household": households.get(pk)},
    }.get(kind)
    if not target or None in target.values():
        raise InvalidInput(_("Choose a member or account of your household."), code="not_family", field="to")
    transfer = timebank.family_transfer(
        by=request.user, minutes=payload.minutes, key=idempotency_key(request, payload.key), **target
    )
    return Status(201, transfer)


@router.get("/shop", response=list[ItemOut], summary="What your points buy in your communities")
def list_shop(request: HttpRequest, filters: Query[PageQuery]) -> list[dict]:
    _count, items = paged(queries.shop_for_resident(request.user), filters.page)
    return [
        {
            "id": i.pk,
            "name": i.name,
            "description": i.description,
            "points": i.points,
            "stock": i.stock,
            "where": i.merchant.organization.name if i.merchant else str(_("Community points shop")),
        }
        for i in items
    ]


def _redemption(r: Redemption) -> dict:
    return {
        "id": r.pk,
        "item": r.item.name,
        "points": r.points,
        "code": r.code if r.state == Redemption.State.PENDING else None,
        "state": r.state,
        "created_at": r.created_at,
    }


@router.post("/shop/{id}/redeem", response={201: RedemptionOut}, summary="Redeem an item (the code collects it)")
def redeem(request: HttpRequest, payload: RedeemIn, id: int = PK) -> Status:
    item = queries.shop_for_resident(request.user).filter(pk=id).first()
    if item is None:
        raise NotFound()
    return Status(201, _redemption(shop.redeem(item, by=request.user, key=idempotency_key(request, payload.key))))


def _own_redemptions(request: HttpRequest) -> Any:
    person = scopes.person_for(request.user)
    return Redemption.objects.filter(person=person).select_related("item") if person else Redemption.objects.none()


@router.get("/redemptions", response=list[RedemptionOut], summary="Your redemptions")
def list_redemptions(request: HttpRequest, filters: Query[PageQuery]) -> list[dict]:
    _count, items = paged(_own_redemptions(request), filters.page)
    return [_redemption(r) for r in items]


@router.post("/redemptions/{id}/cancel", response=RedemptionOut, summary="Cancel one not yet collected")
def cancel_redemption(request: HttpRequest, id: int = PK) -> dict:
    redemption = _own_redemptions(request).filter(pk=id).first()
    if redemption is None:
        raise NotFound()
    return _redemption(shop.cancel(redemption, by=request.user))


# --- the flea market ------------------------------------------------------------------------------------------


def _listing_row(listing: Listing) -> dict:
    return {
        "id": listing.pk,
        "title": listing.title,
        "kind": listing.kind,
        "price": listing.price,
        "state": listing.state,
        "community": region_ref(listing.community),
        "photos": [f"/portal/community/market/photos/{p.pk}/" for p in listing.photos.all()],
        "created_at": listing.created_at,
        "expires_at": listing.expires_at,
    }


def _listing_detail(request: HttpRequest, listing: Listing) -> dict:
    person = scopes.person_for(request.user)
    reservation = market.pending(listing)
    return {
        **_listing_row(listing),
        "description": listing.description,
        "swap_for": listing.swap_for,
        "seller": queries.neighbour_name(listing.seller),
        "phone": market.phone_for(listing, request.user),
        "mine": person is not None and person.pk == listing.seller_id,
        "reserved_by_me": reservation is not None and person is not None and reservation.buyer_id == person.pk,
    }


@router.get("/listings", response=ListingPage, summary="The flea market of your communities")
def list_listings(request: HttpRequest, filters: Query[ListingQuery]) -> dict:
    qs = queries.listings_for_resident(request.user, q=filters.q, kind=filters.kind).select_related("community")
    count, items = paged(qs, filters.page)
    return {"count": count, "page": filters.page, "items": [_listing_row(x) for x in items]}


@router.post(
    "/listings",
    response={201: ListingDetail},
    summary="List an item (JSON, or multipart with photos)",
    openapi_extra=_body_doc(ListingIn),
)
def create_listing(request: HttpRequest) -> Status:
    data, photos = _read_body(request, ListingIn)
    community = Region.objects.filter(code=data.community, level=RegionLevel.COMMUNITY).first()
    if community is None:
        raise InvalidInput(_("Unknown community."), code="unknown_community", field="community")
    listing = market.create(
        by=request.user,
        community=community,
        title=data.title,
        kind=data.kind,
        description=data.description,
        price=data.price,
        swap_for=data.swap_for,
        show_phone=data.show_phone,
        photos=photos,
    )
    return Status(201, _listing_detail(request, listing))


@router.get("/listings/{id}", response=ListingDetail, summary="One listing")
def get_listing(request: HttpRequest, id: int = PK) -> dict:
    return _listing_detail(request, queries.get_listing_for_resident(request.user, id))


LISTING_CALLS = {
    "reserve": lambda listing, user, text: market.reserve(listing, by=user, message=text),
    "cancel": lambda listing, user, text: market.cancel_reservation(listing, by=user),
    "reply": lambda listing, user, text: market.reply(listing, by=user, text=text),
    "release": lambda listing, user, text: market.release(listing, by=user),
    "complete": lambda listing, user, text: market.complete(listing, by=user),
    "renew": lambda listing, user, text: market.renew(listing, by=user),
    "withdraw": lambda listing, user, text: market.withdraw(listing, by=user),
    "report": lambda listing, user, text: market.report(listing, by=user, reason=text),
}


@router.post("/listings/{id}/{action}", response=ListingDetail, summary="Reserve, reply, exchange, report …")
def act_on_listing(request: HttpRequest, action: ListingAction, payload: ListingActionIn, id: int = PK) -> dict:
    listing = queries.get_listing_for_resident(request.user, id)
    LISTING_CALLS[action](listing, request.user, payload.text)
    return _listing_detail(request, queries.get_listing_for_resident(request.user, id))


# --- getting around -------------------------------------------------------------------------------------------


@router.get("/around", response=list[HomeOut], summary="Bus stops and lines near each of your homes")
def getting_around(request: HttpRequest) -> list[dict]:
    out = []
    for home in around.homes(request.user):
        panels = {p.key: p.data for p in around.panels(home)}
        stops = panels.pop("transit", {}).get("stops", [])
        out.append({"address": home.building.address, "stops": stops, "panels": panels})
    return out


router.add_router("", deliberation_router)
