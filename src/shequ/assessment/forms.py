"""The filter forms of the assessment pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shequ.access.models import User
from shequ.access.scopes import regions_for
from shequ.geo.models import RegionLevel

from .queries import BREAKDOWNS

BY_LABELS = {
    "": _("No breakdown"),
    "day": _("By day"),
    "community": _("By community"),
    "grid": _("By grid"),
    "category": _("By category"),
    "channel": _("By channel"),
    "unit": _("By unit"),
    "person": _("By grid worker"),
}


class ScopeForm(forms.Form):
    # Any code: queries.scope_for decides (a unit's handlers may narrow their unit's figures to any area).
    area = forms.CharField(label=_("Area"), required=False, max_length=15, widget=forms.Select)
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    by = forms.ChoiceField(label=_("Breakdown"), required=False, choices=[(b, BY_LABELS[b]) for b in ("", *BREAKDOWNS)])
    unit = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    person = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        levels = (RegionLevel.DISTRICT, RegionLevel.STREET, RegionLevel.COMMUNITY, RegionLevel.GRID)
        regions = regions_for(user).filter(level__in=levels).order_by("code").values_list("code", "name", "level")
        self.fields["area"].widget.choices = [("", _("My whole area"))] + [
            (code, ("　" * (len(code) // 3 - 2)) + name) for code, name, _level in regions[:500]
        ]
