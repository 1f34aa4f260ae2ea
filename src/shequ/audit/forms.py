from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import Action
from .queries import EntryFilter


class EntrySearchForm(forms.Form):
    actor = forms.CharField(label=pgettext_lazy("audit", "Account"), required=False, max_length=150)
    action = forms.ChoiceField(
        label=pgettext_lazy("audit", "Action"), required=False, choices=[("", _("All actions")), *Action.choices]
    )
    target_type = forms.CharField(label=_("Target type"), required=False, max_length=60)
    target_id = forms.CharField(label=_("Target ID"), required=False, max_length=64)
    area_code = forms.CharField(label=_("Area code"), required=False, max_length=20)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    purpose = forms.CharField(label=pgettext_lazy("audit", "Purpose"), required=False, max_length=200)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["actor"].widget.attrs.update(type="search", placeholder=_("Account name"))
        self.fields["purpose"].widget.attrs.update(type="search", placeholder=_("Words in the stated purpose"))

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data

    def to_filter(self) -> EntryFilter:
        """The search made of the fields that are valid; an invalid field (a bad date) is left out."""
        if not self.is_bound:
            return EntryFilter()
        self.is_valid()
        data = self.cleaned_data
        return EntryFilter(
            **{
                name: data.get(name) or (None if name in ("since", "until") else "")
                for name in EntryFilter.__dataclass_fields__
            }
        )
