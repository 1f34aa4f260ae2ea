"""Forms of the workbench: the event-list filters and one form per loop action.

Forms only parse input; each action form's ``call`` hands the parsed values to
the domain function in ``events.actions``, which enforces every rule.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shequ.access.models import Unit, User
from shequ.access.scopes import regions_for
from shequ.events import actions, catalog
from shequ.events.models import Category, Channel, Event, Level, Status
from shequ.events.queries import EventFilter
from shequ.geo.models import LEVEL_ORDER

from .labels import TODO_SECTIONS

# --- the list filters ----------------------------------------------------------------------

YES_NO = [("", _("Any")), ("1", _("Yes")), ("0", _("No"))]


def _indent(level_rank: int, text: str) -> str:
    return "\u3000" * level_rank + text


class EventFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    area = forms.ChoiceField(label=_("Area"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    overdue = forms.ChoiceField(label=_("Overdue"), required=False, choices=YES_NO)
    date_from = forms.DateField(
        label=_("Reported from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("Reported to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    todo = forms.ChoiceField(required=False, widget=forms.HiddenInput, choices=[("", ""), *list(TODO_SECTIONS.items())])

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update(placeholder=_("Code, description or address"), type="search")
        self.fields["status"].choices = [("", _("All")), ("open", _("Open")), *list(Status.choices)]
        self.fields["channel"].choices = [("", _("All")), *Channel.choices]
        self.fields["category"].choices = [("", _("All"))] + [
            (c.code, _indent(0 if c.parent_id is None else 1, f"{c.code} {c.name}"))
            for c in Category.objects.filter(active=True).order_by("code")
        ]
        self.fields["area"].choices = [("", _("All"))] + [
            (code, _indent(LEVEL_ORDER.index(level), name))
            for code, name, level in regions_for(user).order_by("code").values_list("code", "name", "level")
        ]

    def to_filter(self) -> EventFilter:
        """The valid filters; an invalid one (a hand-edited URL) is ignored, not an error page."""
        self.is_valid()
        data = self.cleaned_data
        overdue = data.get("overdue")
        return EventFilter(
            status=data.get("status") or "",
            category=data.get("category") or "",
            area=data.get("area") or "",
            channel=data.get("channel") or "",
            overdue=None if not overdue else overdue == "1",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            q=data.get("q") or "",
        )


# --- the action forms ----------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(d, initial) for d in items]


def _text(label: Any, *, required: bool = True, rows: int = 2) -> forms.CharField:
    # Required-ness is the domain's rule (it says why); the browser gets a hint only.
    attrs: dict[str, Any] = {"rows": rows}
    if required:
        attrs["required"] = True
    return forms.CharField(label=label, required=False, widget=forms.Textarea(attrs=attrs))


class ActionForm(forms.Form):
    """One loop action. ``call`` runs the domain function and returns the event."""

    success: Any = _("Done.")

    def __init__(self, *args: Any, event: Event, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.event, self.user = event, user

    def call(self) -> Event:
        raise NotImplementedError


def _category_label(c: Category) -> str:
    return f"{c.code} {c.parent.name + ' / ' if c.parent else ''}{c.name}"


def suggested_first(field: forms.ModelChoiceField, ranked: list[tuple[Category, float]]) -> None:
    """The whole catalogue stays in the picker; the model's suggestions come first, in their own group."""
    field.label_from_instance = _category_label  # type: ignore[method-assign]
    if not ranked:
        return
    everything = [(c.pk, _category_label(c)) for c in field.queryset]
    field.choices = [
        ("", "---------"),
        (_("Suggested"), [(c.pk, f"{_category_label(c)} ({score:.2f})") for c, score in ranked]),
        (_("All categories"), everything),
    ]


class AcceptForm(ActionForm):
    success = _("The event is accepted.")
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(), required=False)
    level = forms.ModelChoiceField(label=_("Level"), queryset=Level.objects.all(), required=False, empty_label=None)
    note = _text(_("Note"), required=False)
    # The category the page suggested (the model's top one): accepting another is a labelled example (Correction).
    suggested = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)

    def __init__(self, *args: Any, ranked: list[tuple[Category, float]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = catalog.leaf_categories().select_related("parent").order_by("code")
        ranked = ranked or []
        suggested_first(self.fields["category"], ranked)
        top = ranked[0][0] if ranked else None
        self.fields["category"].initial = self.event.category_id or (top.pk if top else None)
        self.fields["suggested"].initial = top.code if top else ""
        self.fields["level"].initial = self.event.level_id

    def call(self) -> Event:
        from shequ.intake.actions import accept_against_suggestion

        d = self.cleaned_data
        return accept_against_suggestion(
            self.event,
            by=self.user,
            suggested=d["suggested"],
            note=d["note"],
            category=d["category"],
            level=d["level"],
        )


class RejectForm(ActionForm):
    success = _("The event is rejected.")
    reason = _text(_("Reason"))

    def call(self) -> Event:
        return actions.reject(self.event, by=self.user, reason=self.cleaned_data["reason"])


def units_for_desk(event: Event):
    """Units a desk may send to: at its own level or above on its branch, or inside its area."""
    code = event.desk.code
    above = [code[:n] for n in (6, 9, 12, 15) if n <= len(code)]
    return Unit.objects.filter(active=True).filter(Q(region__code__in=above) | Q(region__code__startswith=code))


class DispatchForm(ActionForm):
    success = _("The event is dispatched.")
    unit = forms.ModelChoiceField(
        label=_("Handling unit"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("By the responsibility list (none: pass to the street desk)"),
    )
    note = _text(_("Note"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_for_desk(self.event).select_related("region")
        self.fields["unit"].label_from_instance = lambda u: f"{u.name}（{u.region.name}）"
        self.suggested = actions.suggested_unit(self.event) if self.event.category else None
        if self.suggested:
            self.fields["unit"].initial = self.suggested.pk
            self.fields["unit"].help_text = _("Suggested by the responsibility list: %(unit)s") % {
                "unit": self.suggested.name
            }

    def call(self) -> Event:
        return actions.dispatch(
            self.event, by=self.user, unit=self.cleaned_data["unit"], note=self.cleaned_data["note"]
        )


class ReturnForm(ActionForm):
    success = _("The event is returned to the dispatch desk.")
    reason = _text(_("Reason"))

    def call(self) -> Event:
        return actions.return_(self.event, by=self.user, reason=self.cleaned_data["reason"])


class EscalateForm(ActionForm):
    success = _("The event is escalated to the higher desk.")
    reason = _text(_("Reason"))

    def call(self) -> Event:
        return actions.escalate(self.event, by=self.user, reason=self.cleaned_data["reason"])


class RequestExtensionForm(ActionForm):
    success = _("The extension request is sent.")
    hours = forms.IntegerField(label=_("Working hours"), min_value=1, max_value=720, initial=8)
    reason = _text(_("Reason"))

    def call(self) -> Event:
        d = self.cleaned_data
        return actions.request_extension(self.event, by=self.user, hours=d["hours"], reason=d["reason"])


def _yes_no(label: Any, yes: Any, no: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=[("1", yes), ("0", no)],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        initial="1",
    )


class DecideExtensionForm(ActionForm):
    success = _("The extension request is decided.")
    approve = _yes_no(_("Decision"), _("Approve"), _("Refuse"))
    note = _text(_("Note (required when refusing)"), required=False)

    def call(self) -> Event:
        d = self.cleaned_data
        return actions.decide_extension(self.event, by=self.user, approve=d["approve"], note=d["note"])


class HandleForm(ActionForm):
    success = _("The event is marked handled and waits for verification.")
    result = _text(_("What was done"), rows=3)
    photos = MultipleFileField(label=_("Photos"), required=False)

    def call(self) -> Event:
        d = self.cleaned_data
        return actions.handle(self.event, by=self.user, result=d["result"], photos=d["photos"])


class VerifyForm(ActionForm):
    success = _("The verification is recorded.")
    passed = _yes_no(_("Verification result"), _("Solved: close the event"), _("Not solved: back to the unit"))
    note = _text(_("Note (required when not solved)"), required=False)
    photos = MultipleFileField(label=_("Photos"), required=False)

    def call(self) -> Event:
        d = self.cleaned_data
        return actions.verify(self.event, by=self.user, passed=d["passed"], note=d["note"], photos=d["photos"])


class SuperviseForm(ActionForm):
    success = _("The event is under supervision.")
    note = _text(_("What you expect"))

    def call(self) -> Event:
        return actions.supervise(self.event, by=self.user, note=self.cleaned_data["note"])


class ReopenForm(ActionForm):
    success = _("The event is reopened and back with its unit.")
    reason = _text(_("Reason"))

    def call(self) -> Event:
        return actions.reopen(self.event, by=self.user, reason=self.cleaned_data["reason"])


class RateForm(ActionForm):
    success = _("Thank you for your rating.")
    score = forms.TypedChoiceField(
        label=_("Rating"), choices=[(str(i), "★" * i) for i in range(5, 0, -1)], coerce=int, initial="5"
    )
    comment = _text(_("Comment"), required=False)
    reopen_if_low = forms.BooleanField(label=_("Not solved: reopen it"), required=False)

    def call(self) -> Event:
        d = self.cleaned_data
        return actions.rate(
            self.event, by=self.user, score=d["score"], comment=d["comment"], reopen_if_low=d["reopen_if_low"]
        )


class MergeForm(ActionForm):
    """合并: the duplicate (this event) joins the original named by its code; the accept page's duplicates list
    posts it, after a confirmation."""

    success = _("The duplicate is merged into the original; its reporter is told.")
    into = forms.CharField(label=_("Original event code"), max_length=40)
    note = _text(_("Note"), required=False)

    def call(self) -> Event:
        from shequ.core.errors import InvalidInput, NotFound
        from shequ.events.queries import get_event_for

        code = self.cleaned_data["into"].strip()
        try:
            original = get_event_for(self.user, code=code)
        except NotFound as e:
            raise InvalidInput(
                _("No event %(code)s that you may see.") % {"code": code}, code="unknown_original", field="into"
            ) from e
        return actions.merge(self.event, into=original, by=self.user, note=self.cleaned_data["note"])


class RecategorizeForm(ActionForm):
    success = _("The category is changed.")
    category = forms.ModelChoiceField(label=_("New category"), queryset=Category.objects.none())
    note = _text(_("Note"), required=False)

    def __init__(self, *args: Any, ranked: list[tuple[Category, float]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = catalog.leaf_categories().select_related("parent").order_by("code")
        suggested_first(self.fields["category"], ranked or [])
        self.fields["category"].initial = self.event.category_id

    def call(self) -> Event:
        d = self.cleaned_data
        return actions.recategorize(self.event, by=self.user, category=d["category"], note=d["note"])


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "accept": AcceptForm,
    "reject": RejectForm,
    "dispatch": DispatchForm,
    "return": ReturnForm,
    "escalate": EscalateForm,
    "request_extension": RequestExtensionForm,
    "decide_extension": DecideExtensionForm,
    "handle": HandleForm,
    "verify": VerifyForm,
    "supervise": SuperviseForm,
    "reopen": ReopenForm,
    "rate": RateForm,
    "merge": MergeForm,  # posted from the duplicates list of the suggestion, not from the actions column
    "recategorize": RecategorizeForm,
}
# Forms that take the model's ranking of the event's text (the suggested categories first).
RANKED_FORMS = ("accept", "recategorize")


def form_errors(form: forms.Form) -> str:
    """All of a form's errors on one line, for a message at the top of the page."""
    parts: list[str] = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        parts.extend(f"{label}：{e}" if label else str(e) for e in errors)
    return "；".join(parts)
