"""The community's form for making a task; the grid worker's item form is built from ``queries.form_for``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shequ.access.models import User

from .queries import collectible_fields, grids_for, workers_for


class WorkerChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.name or obj.username}（{obj.region.name if obj.region else ''}）"


class TaskForm(forms.Form):
    """Grids and workers are limited to the creator's area; the action checks the worker belongs to the grid."""

    grid = forms.ModelChoiceField(label=_("Grid"), queryset=None, empty_label=_("Choose a grid"))
    assignee = WorkerChoice(label=_("Grid worker"), queryset=None, empty_label=_("Choose a grid worker"))
    title = forms.CharField(
        label=_("Title"), max_length=100, required=False, help_text=_("Leave empty for “<grid> information check”.")
    )
    due = forms.DateField(label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    collect = forms.MultipleChoiceField(
        label=_("Fields to collect"), choices=(), widget=forms.CheckboxSelectMultiple, required=True
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids_for(user)
        self.fields["assignee"].queryset = workers_for(user)
        choices = [(f.name, f.label) for f in collectible_fields()]
        self.fields["collect"].choices = choices
        self.fields["collect"].initial = [name for name, _label in choices]
