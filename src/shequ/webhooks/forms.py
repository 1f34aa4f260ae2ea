"""Forms of the subscription pages: parse what a person typed into a ``SubscriptionInput``; the rules are in
``actions`` (their errors come back as the form's errors)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.access.models import Unit, User
from shequ.events.models import Category, Channel, Status
from shequ.geo.models import Region
from shequ.workbench.labels import timeline_label

from .actions import SubscriptionInput, action_codes
from .models import DeliveryStatus, State, Subscription

CODES = re.compile(r"[\s,，、;；]+")


class SubscriptionForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("webhooks", "Name"), max_length=100)
    url = forms.CharField(
        label=_("Target URL"),
        max_length=500,
        help_text=_("Where each change is POSTed as signed JSON (docs/webhooks.md)."),
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    owner = forms.CharField(
        label=_("Send as (account)"),
        max_length=150,
        help_text=_(
            "The username of the receiving system's account: only events it may see are sent, and it is told "
            "when the subscription is paused."
        ),
    )
    owner_unit = forms.ModelChoiceField(
        label=_("Also tell this unit"),
        queryset=Unit.objects.filter(active=True),
        required=False,
        empty_label=_("(none)"),
    )
    areas = forms.CharField(
        label=_("Areas"),
        required=False,
        help_text=_("Region codes, separated by commas; each includes everything inside it."),
    )
    categories = forms.ModelMultipleChoiceField(
        label=pgettext_lazy("webhooks", "Categories"),
        queryset=Category.objects.filter(active=True).order_by("code"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("None chosen: every category. A group includes its leaves."),
    )
    units = forms.ModelMultipleChoiceField(
        label=_("Events routed to these units"),
        queryset=Unit.objects.filter(active=True),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("None chosen: whichever unit handles them. A property company's system picks its own unit."),
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"), choices=Channel.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    actions = forms.MultipleChoiceField(
        label=pgettext_lazy("webhooks", "Actions"), choices=(), required=False, widget=forms.CheckboxSelectMultiple
    )
    statuses = forms.MultipleChoiceField(
        label=_("Statuses after the change"),
        choices=Status.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["actions"].choices = [(code, timeline_label(code)) for code in action_codes()]  # type: ignore[attr-defined]

    @classmethod
    def initial_for(cls, sub: Subscription) -> dict[str, Any]:
        return {
            "name": sub.name,
            "url": sub.url,
            "owner": sub.owner.username,
            "owner_unit": sub.owner_unit,
            "areas": ", ".join(r.code for r in sub.areas.order_by("code")),
            "categories": list(sub.categories.all()),
            "units": list(sub.units.all()),
            "channels": sub.channels,
            "actions": sub.actions,
            "statuses": sub.statuses,
        }

    def clean_owner(self) -> User | None:
        username = self.cleaned_data["owner"].strip()
        owner = User.objects.filter(username=username, is_active=True).first()
        if owner is None:
            raise forms.ValidationError(_("No active account with this username."))
        return owner

    def clean_areas(self) -> list[Region]:
        codes = [c for c in CODES.split(self.cleaned_data["areas"]) if c]
        found = {r.code: r for r in Region.objects.filter(code__in=codes).defer("boundary")}
        missing = [c for c in codes if c not in found]
        if missing:
            raise forms.ValidationError(_("Unknown region codes: %(codes)s.") % {"codes": ", ".join(missing)})
        return [found[c] for c in dict.fromkeys(codes)]

    def to_input(self) -> SubscriptionInput:
        data = self.cleaned_data
        return SubscriptionInput(
            name=data["name"],
            url=data["url"],
            owner=data["owner"],
            owner_unit=data["owner_unit"],
            categories=list(data["categories"]),
            areas=data["areas"],
            units=list(data["units"]),
            channels=data["channels"],
            actions=data["actions"],
            statuses=data["statuses"],
        )


class ListFilter(forms.Form):
    state = forms.ChoiceField(
        label=pgettext_lazy("webhooks", "State"),
        choices=[("", _("All")), *list(State.choices)],
        required=False,
    )


class DeliveryFilter(forms.Form):
    status = forms.ChoiceField(
        label=pgettext_lazy("webhooks", "Status"),
        choices=[("", _("All")), *list(DeliveryStatus.choices)],
        required=False,
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Reason for pausing (optional)")}),
    )
