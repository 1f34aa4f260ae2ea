"""登记事件: staff type in a report that reached them (a 12345 call, a department's referral, a grid worker's
finding). As they type the description, htmx asks for the category list again with the model's suggestions first
(``intake.suggest.rank_categories``); the whole catalogue stays in it and the desk still chooses."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from shequ.access.decorators import staff_required
from shequ.access.models import Role, User
from shequ.access.scopes import regions_for
from shequ.core.errors import DomainError
from shequ.events import actions, catalog
from shequ.events.models import Category, Channel
from shequ.events.queries import events_for
from shequ.events.reporting import MAX_DESCRIPTION
from shequ.geo.models import Region, RegionLevel
from shequ.intake.suggest import rank_categories

from .forms import suggested_first

CHANNELS = (Channel.HOTLINE, Channel.DEPARTMENT, Channel.GRID_WORKER)


def _ranked(text: str) -> list[tuple[Category, float]]:
    text = (text or "").strip()
    if not text or len(text) > MAX_DESCRIPTION:
        return []
    return rank_categories(text, k=3)


class NewEventForm(forms.Form):
    description = forms.CharField(
        label=gettext_lazy("Description"), max_length=MAX_DESCRIPTION, widget=forms.Textarea(attrs={"rows": 4})
    )
    category = forms.ModelChoiceField(label=gettext_lazy("Category"), queryset=Category.objects.none(), required=False)
    grid = forms.ModelChoiceField(label=gettext_lazy("Grid"), queryset=Region.objects.none())
    address = forms.CharField(label=gettext_lazy("Address"), max_length=200, required=False)
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=[])
    reporter_name = forms.CharField(label=gettext_lazy("Reporter"), max_length=50, required=False)
    reporter_phone = forms.CharField(label=gettext_lazy("Phone"), max_length=30, required=False)

    def __init__(self, *args: Any, user: User, ranked: list[tuple[Category, float]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = catalog.leaf_categories().order_by("code")
        suggested_first(self.fields["category"], ranked or [])
        # Only grids of the user's own area: a desk registers what happens where it works.
        self.fields["grid"].queryset = regions_for(user).filter(level=RegionLevel.GRID).order_by("code")
        self.fields["channel"].choices = [(c.value, c.label) for c in CHANNELS]
        self.fields["channel"].initial = Channel.GRID_WORKER if user.role == Role.GRID_WORKER else Channel.HOTLINE


def _may_register(user: User) -> bool:
    return user.role != Role.UNIT_HANDLER  # a handling unit has no area to register events in


@require_http_methods(["GET", "POST"])
@staff_required
def new_event(request: HttpRequest) -> HttpResponse:
    if not _may_register(request.user):
        return render(request, "workbench/new_event.html", {"form": None}, status=403)
    data = request.POST if request.method == "POST" else None
    form = NewEventForm(data, user=request.user, ranked=_ranked(request.POST.get("description", "")))
    if data is not None and form.is_valid():
        d = form.cleaned_data
        try:
            event = actions.report(
                by=request.user,
                channel=d["channel"],
                description=d["description"],
                category=d["category"],
                region=d["grid"],
                address=d["address"],
                reporter_name=d["reporter_name"],
                reporter_phone=d["reporter_phone"],
            )
        except DomainError as e:
            form.add_error(None, e.message)
        else:
            messages.success(request, _("Registered as %(code)s.") % {"code": event.code})
            if events_for(request.user).filter(pk=event.pk).exists():
                return redirect("event_detail", code=event.code)
            return redirect("event_list")
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "workbench/new_event.html", {"form": form}, status=status)


@require_POST
@staff_required
def category_options(request: HttpRequest) -> HttpResponse:
    """The category <select>'s options again, the suggestions for the description typed so far first (htmx)."""
    form = NewEventForm(user=request.user, ranked=_ranked(request.POST.get("description", "")))
    form.fields["category"].initial = request.POST.get("category") or None
    return render(request, "workbench/_category_options.html", {"field": form["category"]})
