"""Page forms for alerts. They parse input into ``actions.AlertInput``; the rules live in ``actions``."""

from __future__ import annotations

import json

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.access.models import User
from shequ.access.scopes import regions_for
from shequ.geo.models import RegionLevel

from .actions import AlertInput
from .models import (
    Alert,
    AlertTemplate,
    CapStatus,
    Category,
    Certainty,
    MsgType,
    ResponseType,
    Scope,
    Severity,
    State,
    Urgency,
)

AREA_KINDS = [("regions", _("Regions")), ("polygon", _("Drawn polygon")), ("circle", _("Circle"))]


class DateTimeLocal(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


class AlertForm(forms.Form):
    event = forms.CharField(label=pgettext_lazy("alert", "Event"), max_length=100)
    headline = forms.CharField(label=_("Headline"), max_length=160)
    category = forms.ChoiceField(label=pgettext_lazy("alert", "Category"), choices=Category.choices)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    certainty = forms.ChoiceField(label=_("Certainty"), choices=Certainty.choices)
    response_type = forms.ChoiceField(label=_("Response type"), choices=ResponseType.choices)
    description = forms.CharField(
        label=pgettext_lazy("alert", "Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    instruction = forms.CharField(label=_("Instruction"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    effective = forms.DateTimeField(label=_("Effective"), widget=DateTimeLocal(), required=False)
    expires = forms.DateTimeField(label=_("Expires"), widget=DateTimeLocal(), required=False)
    web = forms.URLField(label=_("Web page"), required=False, assume_scheme="https")
    status = forms.ChoiceField(label=_("CAP status"), choices=CapStatus.choices, initial=CapStatus.ACTUAL)
    scope = forms.ChoiceField(label=_("Scope"), choices=Scope.choices, initial=Scope.PUBLIC)
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)
    area_kind = forms.ChoiceField(label=_("Area given as"), choices=AREA_KINDS, widget=forms.RadioSelect)
    regions = forms.ModelMultipleChoiceField(
        label=_("Regions"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Hold Ctrl (or Cmd) to pick several."),
    )
    polygon = forms.CharField(label=_("Polygon"), required=False, widget=forms.HiddenInput)
    circle_lon = forms.FloatField(label=_("Centre longitude"), required=False, min_value=-180, max_value=180)
    circle_lat = forms.FloatField(label=_("Centre latitude"), required=False, min_value=-90, max_value=90)
    circle_radius_km = forms.FloatField(label=_("Radius (km)"), required=False, min_value=0.01, max_value=50)
    area_desc = forms.CharField(label=_("Area description"), max_length=200)

    INFO = ("event", "headline", "category", "urgency", "severity", "certainty", "response_type")
    TEXT = ("description", "instruction", "effective", "expires", "web", "status", "scope", "note")
    CIRCLE = ("circle_lon", "circle_lat", "circle_radius_km")

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Streets and communities (and the district): drawn shapes serve finer areas.
        self.fields["regions"].queryset = (
            regions_for(user).exclude(level=RegionLevel.GRID).order_by("code").only("id", "code", "name", "level")
        )

    def clean_polygon(self) -> dict | None:
        text = self.cleaned_data.get("polygon") or ""
        if not text.strip():
            return None
        try:
            return json.loads(text)
        except ValueError:
            raise forms.ValidationError(_("The drawn polygon could not be read; draw it again.")) from None

    def clean(self) -> dict:
        data = super().clean()
        kind = data.get("area_kind")
        if kind == "regions" and not data.get("regions"):
            self.add_error("regions", _("Pick at least one region."))
        if kind == "polygon" and not data.get("polygon"):
            self.add_error("polygon", _("Draw the polygon on the map (at least 3 points)."))
        if kind == "circle" and any(data.get(n) is None for n in self.CIRCLE):
            self.add_error("circle_radius_km", _("Set the circle's centre on the map and give its radius."))
        return data

    def to_input(self) -> AlertInput:
        data = self.cleaned_data
        kind = data["area_kind"]
        values = {n: data[n] for n in (*self.INFO, *self.TEXT)}
        for name in ("description", "instruction", "web", "note"):
            values[name] = values[name] or ""
        return AlertInput(
            **values,
            area_desc=data["area_desc"],
            regions=list(data["regions"]) if kind == "regions" else [],
            polygon=data["polygon"] if kind == "polygon" else None,
            **{n: data[n] if kind == "circle" else None for n in self.CIRCLE},
        )

    @classmethod
    def initial_from_template(cls, template: AlertTemplate) -> dict:
        now = timezone.localtime()
        return {
            **{n: getattr(template, n) for n in cls.INFO},
            "description": template.description,
            "instruction": template.instruction,
            "effective": now,
            "expires": now + timezone.timedelta(hours=template.hours_valid),
            "area_kind": "regions",
        }

    @classmethod
    def initial_from_alert(cls, alert: Alert) -> dict:
        initial = {n: getattr(alert, n) for n in (*cls.INFO, *cls.TEXT, *cls.CIRCLE, "area_desc")}
        for name in ("effective", "expires"):
            if initial[name]:
                initial[name] = timezone.localtime(initial[name])
        initial["regions"] = list(alert.regions.all())
        initial["polygon"] = json.dumps(alert.polygon) if alert.polygon else ""
        initial["area_kind"] = "polygon" if alert.polygon else "circle" if alert.has_circle else "regions"
        return initial


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    state = forms.ChoiceField(label=_("State"), choices=[("", _("All")), *State.choices], required=False)
    msg_type = forms.ChoiceField(label=_("Message type"), choices=[("", _("All")), *MsgType.choices], required=False)
    current = forms.BooleanField(label=_("In force now"), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CAP XML file"))

    MAX_BYTES = 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB."))
        return upload
