"""Resident pages of the two ledgers: the monthly statement, hours within the family, help paid in hours, the
points shop and one's redemptions. Forms that post carry a one-time key, so a double tap posts once."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import queries, scopes, shop, timebank, volunteering
from .forms import FamilyForm, HelpForm, new_key
from .models import TRANSFER_KINDS, AccountKind, Redemption
from .viewkit import attempt, found, on_form, page_of, resident_required


def _counterparty(account) -> str:  # type: ignore[no-untyped-def]
    if account.kind == AccountKind.POOL:
        return _("%(community)s pool") % {"community": account.community.name}
    if account.kind == AccountKind.MERCHANT:
        return account.merchant.organization.name
    if account.kind == AccountKind.HOUSEHOLD:
        return _("Household account")
    return queries.neighbour_name(account.person)


@require_GET
@resident_required
def statement(request: HttpRequest) -> HttpResponse:
    """The month's statement of both ledgers: opening balance, every posting, closing balance."""
    person = scopes.person_for(request.user)
    month = request.GET.get("month") or None
    start, end = found(queries.month_bounds, month)
    statements = queries.monthly_statement(person, month)
    for st in statements.values():
        for line in st.lines:
            line.label = TRANSFER_KINDS.get(line.transfer.kind, line.transfer.kind)  # type: ignore[attr-defined]
            line.other = _counterparty(line.counterparty)  # type: ignore[attr-defined]
    return render(
        request,
        "community/portal/statement.html",
        {
            "time": statements["time"],
            "points": statements["points"],
            "start": start,
            "previous": (start - timedelta(days=1)).strftime("%Y-%m"),
            "next": end.strftime("%Y-%m"),
            "balances": queries.balances(person),
        },
    )


def _family_choices(person) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    choices = [(f"person:{p.pk}", queries.neighbour_name(p)) for p in timebank.family_of(person)]
    for household in timebank.households_of(person):
        choices.append((f"household:{household.pk}", _("Into the household account")))
        choices.append((f"from-household:{household.pk}", _("From the household account to me")))
    return choices


@require_http_methods(["GET", "POST"])
@resident_required
def family(request: HttpRequest) -> HttpResponse:
    person = scopes.person_for(request.user)
    if person is None:
        raise Http404
    choices = _family_choices(person)
    form = FamilyForm(request.POST or None, choices=choices, initial={"key": new_key()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        kind, _sep, pk = data["to"].partition(":")
        members = {str(p.pk): p for p in timebank.family_of(person)}
        households = {str(h.pk): h for h in timebank.households_of(person)}
        target = {
            "person": {"to_person": members.get(pk)},
            "household": {"to_household": households.get(pk)},
            "from-household": {"from_household": households.get(pk)},
        }.get(kind, {})
        if not target or None in target.values():
            raise Http404
        done = on_form(
            form,
            lambda: timebank.family_transfer(by=request.user, minutes=data["minutes"], key=data["key"], **target),
        )
        if done is not None:
            messages.success(request, _("Moved %(minutes)s minutes.") % {"minutes": done.amount})
            return redirect("community_portal:statement")
    return render(
        request,
        "community/portal/family.html",
        {"form": form, "has_family": bool(choices), "balances": queries.balances(person)},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@resident_required
def help_list(request: HttpRequest) -> HttpResponse:
    """Open requests of the community (for volunteers), one's own, and asking for help."""
    person = scopes.person_for(request.user)
    form = HelpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = on_form(form, lambda: timebank.request_help(by=request.user, **data))
        if done is not None:
            messages.success(request, _("Your request is posted; a volunteer will take it."))
            return redirect("community_portal:help")
    rows = queries.help_for_resident(request.user).order_by("-created_at")[:50]
    return render(
        request,
        "community/portal/help.html",
        {
            "form": form,
            "rows": rows,
            "person": person,
            "is_volunteer": volunteering.active_volunteer(person) is not None,
            "names": {r.pk: queries.neighbour_name(r.requester) for r in rows},
        },
        status=400 if form.errors else 200,
    )


@require_POST
@resident_required
def help_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    request_ = queries.help_for_resident(request.user).filter(pk=pk).first()
    if request_ is None:
        raise Http404
    calls = {
        "take": (lambda: timebank.take_help(request_, by=request.user), _("Taken: thank you!")),
        "confirm": (lambda: timebank.confirm_help(request_, by=request.user), _("Confirmed: the hours were paid.")),
        "cancel": (lambda: timebank.cancel_help(request_, by=request.user), _("Done.")),
    }
    if action not in calls:
        raise Http404
    call, done = calls[action]
    attempt(request, call, done)
    return redirect("community_portal:help")


@require_GET
@resident_required
def shop_list(request: HttpRequest) -> HttpResponse:
    person = scopes.person_for(request.user)
    return render(
        request,
        "community/portal/shop.html",
        {
            "page": page_of(request, queries.shop_for_resident(request.user), 20),
            "key": new_key(),
            "balances": queries.balances(person),
        },
    )


@require_POST
@resident_required
def redeem(request: HttpRequest, pk: int) -> HttpResponse:
    item = queries.shop_for_resident(request.user).filter(pk=pk).first()
    if item is None:
        raise Http404
    done = attempt(request, lambda: shop.redeem(item, by=request.user, key=request.POST.get("key", "")))
    if done is None:
        return redirect("community_portal:shop")
    messages.success(request, _("Redeemed. Show the code %(code)s to collect it.") % {"code": done.code})
    return redirect("community_portal:redemptions")


@require_GET
@resident_required
def redemptions(request: HttpRequest) -> HttpResponse:
    person = scopes.person_for(request.user)
    qs = Redemption.objects.filter(person=person).select_related("item__merchant__organization") if person else []
    return render(request, "community/portal/redemptions.html", {"page": page_of(request, qs, 20)})


@require_POST
@resident_required
def redemption_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    person = scopes.person_for(request.user)
    redemption = Redemption.objects.filter(pk=pk, person=person).first() if person else None
    if redemption is None:
        raise Http404
    attempt(request, lambda: shop.cancel(redemption, by=request.user), _("Cancelled: the points are back."))
    return redirect("community_portal:redemptions")
