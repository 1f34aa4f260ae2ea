"""Resident pages of the flea market: browse, list with photos, reserve, reply, exchange, report."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequ.events.photos import MAX_PHOTOS

from . import market, queries, scopes
from .forms import ListingForm, MessageForm, ReportForm, communities_for_resident
from .models import ListingKind, ListingPhoto
from .viewkit import attempt, found, on_form, page_of, resident_required


@require_GET
@resident_required
def listing_list(request: HttpRequest) -> HttpResponse:
    q = (request.GET.get("q") or "").strip()[:40]
    kind = request.GET.get("kind", "")
    kind = kind if kind in ListingKind.values else ""
    page = page_of(request, queries.listings_for_resident(request.user, q=q, kind=kind), 12)
    return render(
        request, "community/portal/market.html", {"page": page, "q": q, "kind": kind, "kinds": ListingKind.choices}
    )


@require_GET
@resident_required
def listing_mine(request: HttpRequest) -> HttpResponse:
    page = page_of(request, queries.own_listings(scopes.person_for(request.user)), 12)
    return render(request, "community/portal/market_mine.html", {"page": page})


@require_http_methods(["GET", "POST"])
@resident_required
def listing_new(request: HttpRequest) -> HttpResponse:
    form = ListingForm(request.POST or None, communities=communities_for_resident(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = on_form(
            form,
            lambda: market.create(
                by=request.user,
                community=data["community"],
                title=data["title"],
                kind=data["kind"],
                description=data["description"],
                price=data["price"],
                swap_for=data["swap_for"],
                show_phone=data["show_phone"],
                photos=request.FILES.getlist("photos"),
            ),
        )
        if done is not None:
            messages.success(
                request, _("Listed. It stays up for %(days)s days.") % {"days": settings.SHEQU_LISTING_DAYS}
            )
            return redirect("community_portal:listing", pk=done.pk)
    return render(
        request,
        "community/portal/market_form.html",
        {"form": form, "max_photos": MAX_PHOTOS},
        status=400 if form.errors else 200,
    )


@require_GET
@resident_required
def listing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    listing = found(queries.get_listing_for_resident, request.user, pk)
    person = scopes.person_for(request.user)
    reservation = market.pending(listing)
    mine = person == listing.seller
    return render(
        request,
        "community/portal/listing.html",
        {
            "listing": listing,
            "photos": listing.photos.all(),
            "mine": mine,
            "seller": queries.neighbour_name(listing.seller),
            "phone": market.phone_for(listing, request.user),
            "reservation": reservation,
            "my_reservation": reservation is not None and reservation.buyer == person,
            "buyer": queries.neighbour_name(reservation.buyer) if reservation and mine else "",
            "message_form": MessageForm(),
            "report_form": ReportForm(),
            "removal": listing.timeline.filter(action="remove").last() if mine else None,
        },
    )


ACTIONS = {
    "reserve": (
        lambda listing, user, text: market.reserve(listing, by=user, message=text),
        gettext_lazy("Reserved: the seller will answer here."),
    ),
    "cancel": (
        lambda listing, user, text: market.cancel_reservation(listing, by=user),
        gettext_lazy("Reservation cancelled."),
    ),
    "reply": (lambda listing, user, text: market.reply(listing, by=user, text=text), gettext_lazy("Answer sent.")),
    "release": (
        lambda listing, user, text: market.release(listing, by=user),
        gettext_lazy("Released: it is available again."),
    ),
    "complete": (lambda listing, user, text: market.complete(listing, by=user), gettext_lazy("Marked as exchanged.")),
    "renew": (lambda listing, user, text: market.renew(listing, by=user), gettext_lazy("Renewed.")),
    "withdraw": (lambda listing, user, text: market.withdraw(listing, by=user), gettext_lazy("Withdrawn.")),
    "report": (
        lambda listing, user, text: market.report(listing, by=user, reason=text),
        gettext_lazy("Reported: a moderator will look at it."),
    ),
}


@require_POST
@resident_required
def listing_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    listing = found(queries.get_listing_for_resident, request.user, pk)
    if action not in ACTIONS:
        raise Http404
    call, done = ACTIONS[action]
    text = (request.POST.get("text") or request.POST.get("reason") or "").strip()
    attempt(request, lambda: call(listing, request.user, text), str(done))
    return redirect("community_portal:listing", pk=listing.pk)


@require_GET
@resident_required
def listing_photo(request: HttpRequest, pk: int) -> FileResponse:
    photo = ListingPhoto.objects.filter(pk=pk).select_related("listing").first()
    if photo is None:
        raise Http404
    found(queries.get_listing_for_resident, request.user, photo.listing_id)
    try:
        handle = photo.file.open("rb")
    except FileNotFoundError as e:
        raise Http404 from e
    response = FileResponse(handle, content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
