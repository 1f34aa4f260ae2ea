"""The rule form and the import form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shequ.events.models import Category, Level

from .messages import TYPES
from .models import DeviceType, Operator, RuleAction


class RuleForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)
    message_type = forms.ChoiceField(label=_("message type"), choices=[(t, t) for t in TYPES])
    device_type = forms.ChoiceField(
        label=_("device type"), choices=[("", _("Any device")), *DeviceType.choices], required=False
    )
    field = forms.CharField(label=_("field"), max_length=30, required=False)
    operator = forms.ChoiceField(label=_("condition"), choices=Operator.choices)
    value = forms.CharField(label=_("value"), max_length=50, required=False)
    period = forms.IntegerField(label=_("N (days or hours)"), min_value=0, max_value=365, initial=0, required=False)

    def clean_period(self) -> int:
        return self.cleaned_data.get("period") or 0

    action = forms.ChoiceField(label=_("action"), choices=RuleAction.choices)
    category = forms.ModelChoiceField(
        label=_("category"), queryset=Category.objects.filter(children__isnull=True, active=True), required=False
    )
    level = forms.ModelChoiceField(label=_("level"), queryset=Level.objects.all(), required=False)
    elderly_only = forms.BooleanField(label=_("only where an elderly person lives alone"), required=False)
    emergency = forms.BooleanField(label=_("emergency"), required=False)
    quiet_minutes = forms.IntegerField(label=_("quiet window (minutes)"), min_value=0, max_value=10080, initial=30)
    daily_limit = forms.IntegerField(label=_("daily limit"), min_value=1, max_value=1000, initial=5)
    active = forms.BooleanField(label=_("active"), required=False, initial=True)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"))
