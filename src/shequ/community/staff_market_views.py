"""Workbench pages of the flea market (listings of the area, moderation) and of getting around (GTFS import,
the stops near each community)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequ.access.decorators import staff_required
from shequ.access.scopes import manages_area

from . import gtfs, market, queries, scopes, transit
from .forms import FeedForm
from .models import Feed, Listing
from .viewkit import attempt, found, page_of


@require_GET
@staff_required
def listing_list(request: HttpRequest) -> HttpResponse:
    qs = queries.listings_for(request.user)
    state = request.GET.get("state", "")
    if state in Listing.State.values:
        qs = qs.filter(state=state)
    q = (request.GET.get("q") or "").strip()[:40]
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(description__icontains=q))
    return render(
        request,
        "community/staff/listings.html",
        {
            "page": page_of(request, qs.order_by("-created_at", "-pk"), 25),
            "state": state,
            "q": q,
            "states": Listing.State.choices,
        },
    )


@require_GET
@staff_required
def listing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    listing = found(queries.get_listing_for, request.user, pk)
    return render(
        request,
        "community/staff/listing.html",
        {
            "listing": listing,
            "photos": listing.photos.all(),
            "reports": listing.report_rows.order_by("-at"),
            "timeline": listing.timeline.select_related("actor"),
            "manages": scopes.manages(request.user, listing.community),
        },
    )


@require_POST
@staff_required
def listing_moderate(request: HttpRequest, pk: int) -> HttpResponse:
    listing = found(queries.get_listing_for, request.user, pk)
    remove = request.POST.get("remove") == "1"
    note = request.POST.get("note", "")
    attempt(
        request,
        lambda: market.moderate(listing, by=request.user, remove=remove, note=note),
        _("Removed.") if remove else _("Kept: the reports are settled."),
    )
    if request.POST.get("next") == "moderation":
        return redirect("community:moderation")
    return redirect("community:listing", pk=listing.pk)


@require_GET
@staff_required
def listing_photo(request: HttpRequest, pk: int):  # type: ignore[no-untyped-def]
    from django.http import FileResponse

    from .models import ListingPhoto

    photo = ListingPhoto.objects.filter(pk=pk, listing__in=queries.listings_for(request.user)).first()
    if photo is None:
        raise Http404
    try:
        handle = photo.file.open("rb")
    except FileNotFoundError as e:
        raise Http404 from e
    response = FileResponse(handle, content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET", "POST"])
@staff_required
def transit_page(request: HttpRequest) -> HttpResponse:
    """The imported feeds, an import form for those who manage an area, and the stops near each community."""
    may_import = manages_area(request.user)
    form = FeedForm(request.POST or None, request.FILES or None)
    problems: list = []
    if request.method == "POST":
        if not may_import:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                files = gtfs.files_from_zip(data["file"].read())
                feed = gtfs.import_feed(files, name=data["name"], by=request.user)
            except gtfs.FeedRefused as e:
                problems = e.problems[: gtfs.SHOWN_PROBLEMS]
                form.add_error("file", e.message)
            else:
                messages.success(
                    request,
                    _("Imported %(stops)s stops, %(routes)s lines, %(trips)s trips.")
                    % {"stops": feed.stops, "routes": feed.routes, "trips": feed.trips},
                )
                return redirect("community:transit")
    communities = list(scopes.covered_communities(request.user)[:30])
    nearby = [(c, transit.community_stops(c, limit=8)) for c in communities]
    return render(
        request,
        "community/staff/transit.html",
        {"feeds": Feed.objects.all(), "form": form, "may_import": may_import, "problems": problems, "nearby": nearby},
        status=400 if form.errors else 200,
    )
