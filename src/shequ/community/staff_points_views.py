"""Workbench pages of the ledgers: points rules, garbage-sorting checks, the shop and its merchants, redemptions
to confirm, the time bank's pool (grants and corrections); and the merchant's own confirmation page, reached by
its secret link without an account."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from shequ.access.decorators import staff_required
from shequ.geo.models import Region, RegionLevel
from shequ.registry.queries import get_person_unmasked_for, organizations_for
from shequ.registry.search import search_people

from . import points, queries, scopes, shop, timebank
from .forms import CodeForm, GrantForm, ItemForm, RuleForm, SearchForm, new_key
from .ledger import TIME
from .models import AccountKind, Merchant, PointsRule, Redemption, ShopItem, SortingCheck, TimeTransfer
from .viewkit import attempt, found, on_form, page_of


def _managed_regions(user) -> list[Region]:  # type: ignore[no-untyped-def]
    """Regions a manager may set rules for: their own area and the streets and communities in it."""
    from shequ.access.scopes import area_prefix

    prefix = area_prefix(user)
    if prefix is None or not scopes.managed_communities(user).exists():
        return []
    return list(Region.objects.filter(code__startswith=prefix).exclude(level=RegionLevel.GRID).order_by("code"))


@require_http_methods(["GET", "POST"])
@staff_required
def rules(request: HttpRequest) -> HttpResponse:
    regions = _managed_regions(request.user)
    region_qs = Region.objects.filter(pk__in=[r.pk for r in regions])
    form = RuleForm(request.POST or None, regions=region_qs)
    if request.method == "POST" and form.is_valid():
        done = on_form(form, lambda: points.set_rule(by=request.user, **form.cleaned_data))
        if done is not None:
            messages.success(request, _("Rule saved."))
            return redirect("community:rules")
    area = scopes.staff_area(request.user)
    from shequ.access.scopes import area_prefix

    prefix = area_prefix(request.user) or ""
    visible = (
        PointsRule.objects.filter(
            Q(region__code__startswith=prefix) | Q(region__code__in=[prefix[:n] for n in (6, 9, 12) if n < len(prefix)])
        ).select_related("region")
        if area is not None
        else []
    )
    return render(request, "community/staff/rules.html", {"rules": visible, "form": form, "may_edit": bool(regions)})


@require_http_methods(["GET", "POST"])
@staff_required
def sorting(request: HttpRequest) -> HttpResponse:
    """Find a resident of the area, record a garbage-sorting check (a pass earns points by the rules)."""
    search = SearchForm(request.GET or None)
    people = []
    if search.is_valid() and search.cleaned_data["q"]:
        people = attempt(request, lambda: search_people(request.user, search.cleaned_data["q"])) or []
    if request.method == "POST":
        person = found(get_person_unmasked_for, request.user, request.POST.get("person"))
        passed = request.POST.get("passed") == "1"
        note = request.POST.get("note", "")
        attempt(
            request,
            lambda: points.record_sorting_check(by=request.user, person=person, passed=passed, note=note),
            _("Check recorded."),
        )
        return redirect("community:sorting")
    area = scopes.staff_area(request.user)
    checks = SortingCheck.objects.filter(area).select_related("by").order_by("-checked_at") if area is not None else []
    page = page_of(request, checks, 25)
    shown = queries.people_shown(request.user, [c.person_id for c in page])
    return render(
        request,
        "community/staff/sorting.html",
        {"search": search, "people": people, "page": page, "rows": [(c, shown.get(c.person_id)) for c in page]},
    )


# --- the shop -------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_required
def shop_admin(request: HttpRequest) -> HttpResponse:
    communities = scopes.managed_communities(request.user)
    merchants = Merchant.objects.filter(community__in=communities, active=True).select_related("organization")
    form = ItemForm(request.POST or None, communities=communities, merchants=merchants)
    if request.method == "POST" and form.is_valid():
        done = on_form(form, lambda: shop.add_item(by=request.user, **form.cleaned_data))
        if done is not None:
            messages.success(request, _("Item added."))
            return redirect("community:shop")
    area = scopes.staff_area(request.user)
    items = ShopItem.objects.filter(area).select_related("merchant__organization", "community") if area else []
    all_merchants = Merchant.objects.filter(area).select_related("organization", "community") if area else []
    return render(
        request,
        "community/staff/shop.html",
        {
            "items": page_of(request, items, 50),
            "merchants": all_merchants,
            "form": form,
            "code_form": CodeForm(),
            "organizations": organizations_for(request.user).order_by("name")[:200] if communities.exists() else [],
            "communities": communities,
        },
    )


@require_POST
@staff_required
def shop_act(request: HttpRequest, action: str) -> HttpResponse:
    area = scopes.staff_area(request.user)
    if area is None:
        raise Http404
    if action in ("restock", "toggle"):
        item = ShopItem.objects.filter(area).filter(pk=request.POST.get("item") or 0).first()
        if item is None:
            raise Http404
        if action == "restock":
            try:
                add = int(request.POST.get("add", ""))
            except ValueError:
                add = 0
            attempt(request, lambda: shop.restock(item, by=request.user, add=add), _("Stock updated."))
        else:
            attempt(request, lambda: shop.set_active(item, by=request.user, active=not item.active), _("Saved."))
    elif action == "merchant":
        org = organizations_for(request.user).filter(pk=request.POST.get("organization") or 0).first()
        community = scopes.managed_communities(request.user).filter(pk=request.POST.get("community") or 0).first()
        if org is None or community is None:
            raise Http404
        from shequ.registry.queries import get_organization_unmasked_for

        unmasked = found(get_organization_unmasked_for, request.user, org.pk)
        attempt(
            request,
            lambda: shop.add_merchant(by=request.user, organization=unmasked, community=community),
            _("Partner merchant added: give it its confirmation link."),
        )
    elif action == "link":
        merchant = Merchant.objects.filter(area).filter(pk=request.POST.get("merchant") or 0).first()
        if merchant is None:
            raise Http404
        attempt(
            request,
            lambda: shop.new_merchant_link(merchant, by=request.user),
            _("New link made; the old one no longer works."),
        )
    elif action == "confirm":
        form = CodeForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("A redemption code has 8 digits."))
            return redirect("community:shop")
        code = form.cleaned_data["code"].strip()
        redemption = (
            Redemption.objects.filter(item__merchant__isnull=True, state=Redemption.State.PENDING, code=code)
            .filter(item__in=ShopItem.objects.filter(area))
            .first()
        )
        if redemption is None:
            messages.error(request, _("No redemption to collect has this code."))
        else:
            attempt(
                request,
                lambda: shop.confirm(redemption, by=request.user),
                _("Handed over: %(item)s.") % {"item": redemption.item.name},
            )
    else:
        raise Http404
    return redirect("community:shop")


@require_http_methods(["GET", "POST"])
def merchant_page(request: HttpRequest, token: str) -> HttpResponse:
    """The partner merchant's page (its secret link, no account): type the code a resident shows."""
    merchant = Merchant.objects.filter(token=token[:64], active=True).select_related("organization").first()
    if merchant is None or len(token) < 20:
        raise Http404
    form = CodeForm(request.POST or None)
    done = None
    if request.method == "POST" and form.is_valid():
        redemption = attempt(request, lambda: shop.pending_by_code(form.cleaned_data["code"], merchant=merchant))
        if redemption is not None:
            done = attempt(request, lambda: shop.confirm(redemption, by=None, merchant=merchant))
            if done is not None:
                messages.success(
                    request,
                    _("Confirmed: hand over %(item)s (%(points)s points).")
                    % {"item": redemption.item.name, "points": redemption.points},
                )
                return redirect("community:merchant_page", token=token)
    recent = merchant.items.filter(redemptions__state=Redemption.State.CONFIRMED).count()
    response = render(
        request,
        "community/staff/merchant_page.html",
        {"merchant": merchant, "form": form, "confirmed": recent},
        status=400 if form.errors else 200,
    )
    response["Referrer-Policy"] = "no-referrer"  # the link is the merchant's key
    return response


# --- the time bank's pool -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_required
def time_pool(request: HttpRequest) -> HttpResponse:
    communities = scopes.managed_communities(request.user)
    form = GrantForm(request.POST or None, communities=communities, initial={"key": new_key()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = found(get_person_unmasked_for, request.user, data["person"])
        done = on_form(
            form,
            lambda: timebank.grant(
                by=request.user,
                community=data["community"],
                person=person,
                minutes=data["minutes"],
                reason=data["reason"],
                key=data["key"],
            ),
        )
        if done is not None:
            messages.success(request, _("Hours granted."))
            return redirect("community:time_pool")
    covered = scopes.covered_communities(request.user)
    pools = TIME.account.objects.filter(kind=AccountKind.POOL, community__in=covered).select_related("community")
    transfers = (
        TimeTransfer.objects.filter(Q(debit__in=pools) | Q(credit__in=pools))
        .select_related("debit__community", "credit__community", "by", "reversal")
        .order_by("-at", "-pk")
    )
    page = page_of(request, transfers, 25)
    people = queries.people_shown(request.user, [a.person_id for t in page for a in (t.debit, t.credit) if a.person_id])
    return render(
        request,
        "community/staff/time_pool.html",
        {"pools": pools, "page": page, "people": people, "form": form, "may_grant": communities.exists()},
    )


@require_POST
@staff_required
def time_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    covered = scopes.covered_communities(request.user)
    transfer = (
        TimeTransfer.objects.filter(Q(debit__community__in=covered) | Q(credit__community__in=covered), pk=pk)
        .select_related("debit__community", "credit__community")
        .first()
    )
    if transfer is None:
        raise Http404
    reason = request.POST.get("reason", "")
    attempt(request, lambda: timebank.correct(transfer, by=request.user, reason=reason), _("Reversed."))
    return redirect("community:time_pool")
