"""The community base's staff pages that write: the manual edit of a person, where people work (adding a workplace
from the person's page, ending an employment after a confirmation), and reveal (a masked value in clear, asked for
with a purpose and audited). Each parses the request, reads the record in scope through ``registry.queries`` and
writes through ``registry.actions``; a refusal from the action is shown on the form, never a 500.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied as PageForbidden
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from shequ.access.decorators import records_required, staff_required
from shequ.access.models import User
from shequ.core.errors import DomainError, NotFound
from shequ.core.errors import PermissionDenied as DomainForbidden

from . import actions, queries, search, visibility
from .dictionary import CodeItem, Field, FieldType
from .display import code_labels, dictionary_fields, display_value, or_404
from .models import Change, Employment, Organization, Person

# --- the manual edit of a person ------------------------------------------------------------------


class PersonForm(forms.Form):
    """The dictionary's person fields (labels, code tables, required flags come from the Field rows), only those
    the user sees in clear: a masked value is never offered, so it can never be written back."""

    def __init__(self, *args: Any, person: Person, viewer: visibility.Viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.person = person
        self.dictionary = [f for f in dictionary_fields("person", Person.TRACKED) if viewer.clear(f.name)]
        for f in self.dictionary:
            self.fields[f.attribute] = self._form_field(f)
            self.initial[f.attribute] = getattr(person, f.attribute)

    @staticmethod
    def _form_field(f: Field) -> forms.Field:
        common = {"label": f.label, "required": f.required, "help_text": f.description}
        if f.type == FieldType.CODE and f.code_table_id:
            items = CodeItem.objects.filter(table_id=f.code_table_id, active=True).order_by("order", "code")
            return forms.ChoiceField(choices=[("", "—"), *[(i.code, i.label) for i in items]], **common)
        if f.type == FieldType.DATE:
            return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **common)
        if f.attribute == "note":
            return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, **common)
        # Room for spaces and dashes people type in numbers; the action normalises and checks them.
        max_length = 30 if f.type in (FieldType.ID_NUMBER, FieldType.PHONE) else None
        return forms.CharField(max_length=max_length or Person._meta.get_field(f.attribute).max_length, **common)

    def changed_values(self) -> dict[str, Any]:
        """Only the fields the user changed, as the action expects them (empty text, None for no date)."""
        return {name: self.cleaned_data[name] for name in self.changed_data if name in self.cleaned_data}

    def save(self, user: User) -> list[Change]:
        try:
            return actions.update_person(self.person, by=user, source=actions.MANUAL, **self.changed_values())
        except DomainError as e:
            self.add_error(e.field if e.field in self.fields else None, e.message)
            raise


@require_http_methods(["GET", "POST"])
@staff_required
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    # The record in clear, for the fields the form offers (those the user sees in clear) and the write.
    found = or_404(queries.get_person_unmasked_for, request.user, pk)
    if not queries.may_edit_records(request.user):
        raise PageForbidden
    form = PersonForm(request.POST or None, person=found, viewer=visibility.viewer_for(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            changes = form.save(request.user)
        except DomainError:
            pass
        else:
            if changes:
                messages.success(request, _("Saved: %(n)s fields changed.") % {"n": len(changes)})
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("registry_person", pk=found.pk)
    shown = queries.get_person_for(request.user, pk)  # the heading shows the name as the user may see it
    return render(
        request, "registry/person_edit.html", {"person": shown, "form": form}, status=400 if form.errors else 200
    )


# --- where people work: add a workplace, end an employment ------------------------------------------------------


class EmploymentForm(forms.Form):
    """An organisation of the user's area (chosen from a name search), the position and the start, labelled by the
    data dictionary's employment.* fields."""

    organization = forms.IntegerField(min_value=1, max_value=2**53)
    position = forms.CharField(max_length=50, required=False)
    since = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = {f.attribute: f for f in dictionary_fields("employment", ("organization", "position", "start"))}
        for name, attribute in (("organization", "organization"), ("position", "position"), ("since", "start")):
            if attribute in labels:
                self.fields[name].label = labels[attribute].label
        # chosen with a radio button among the search results (``_employment_choices.html``)
        self.fields["organization"].error_messages["required"] = _("Search for the organization and choose it.")


def _organization_choices(user: User, q: str) -> tuple[list[Organization], str]:
    """Organisations of the user's area found by a name, credit code or address search (masked), or why not."""
    if not q:
        return [], ""
    try:
        found = search.organizations_matching(user, search.classify(q))
    except (search.SearchRefused, DomainError) as e:
        return [], e.message
    return list(found.select_related("premises__building")[:20]), ""


@require_http_methods(["GET", "POST"])
@staff_required
def employment_new(request: HttpRequest, pk: int) -> HttpResponse:
    """添加工作单位: search the area's organisations by name, choose one, give the position and the start."""
    user = request.user
    shown = or_404(queries.get_person_for, user, pk)  # the heading shows the person as the user may see them
    if not queries.may_edit_records(user):
        raise PageForbidden
    # the search that found the choices: in the query while searching, beside the choice once posted
    q = (request.GET.get("q") or request.POST.get("q") or "").strip()[:60]
    form = EmploymentForm(request.POST or None, initial={"since": queries.clock.now().date()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = queries.get_person_unmasked_for(user, pk)
            organization = queries.get_organization_unmasked_for(user, data["organization"])
            actions.employ(
                person, organization, since=data["since"], position=data["position"], by=user, source=actions.MANUAL
            )
        except NotFound:
            form.add_error("organization", _("Choose an organization of your area."))
        except DomainError as e:
            form.add_error(None, e.message)
        else:
            messages.success(request, _("Workplace added."))
            return redirect("registry_person", pk=pk)
    choices, refused = _organization_choices(user, q)
    chosen = str(form["organization"].value() or "")
    context = {"person": shown, "form": form, "q": q, "choices": choices, "refused": refused, "chosen": chosen}
    if request.method == "GET" and request.htmx and not request.htmx.history_restore_request:
        return render(request, "registry/_employment_choices.html", context)
    return render(request, "registry/employment_form.html", context, status=400 if form.errors else 200)


class EndEmploymentForm(forms.Form):
    until = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    back = forms.ChoiceField(choices=[("person", "person"), ("organization", "organization")], required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        end = Field.objects.filter(name="employment.end").first()
        self.fields["until"].label = end.label if end is not None else _("Left on")
        self.fields["back"].widget = forms.HiddenInput()


@require_http_methods(["GET", "POST"])
@staff_required
def employment_end(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation (htmx swaps it in place of the button); POST: end the employment on the given day."""
    user = request.user
    employment = or_404(queries.get_employment_unmasked_for, user, pk)  # person and organisation in the area
    if not queries.may_edit_records(user):
        raise PageForbidden
    back = request.POST.get("back") or request.GET.get("back") or "person"
    back = back if back in ("person", "organization") else "person"
    form = EndEmploymentForm(request.POST or None, initial={"until": queries.clock.now().date(), "back": back})
    if request.method == "POST" and form.is_valid():
        try:
            actions.leave_employment(employment, until=form.cleaned_data["until"], by=user, source=actions.MANUAL)
        except DomainError as e:
            form.add_error("until" if e.field == "end" else None, e.message)
        else:
            messages.success(request, _("Employment ended."))
            if back == "organization":
                return redirect("registry_organization", pk=employment.organization_id)
            return redirect("registry_person", pk=employment.person_id)
    # What the page shows is a masked copy, read again: the instance above is the one written.
    shown = Employment.objects.select_related("person", "organization").get(pk=employment.pk)
    visibility.viewer_for(user).employments([shown], [shown.organization_id])
    fragment = bool(request.htmx) and request.method == "GET"
    context = {
        "employment": shown,
        "form": form,
        "back": back,
        "fragment": fragment,
        "base_template": "registry/_fragment.html" if fragment else "base.html",
    }
    return render(request, "registry/employment_end.html", context, status=400 if form.errors else 200)


# --- reveal: a masked value in clear, on request with a purpose (audited) ----------------------------------------


class RevealForm(forms.Form):
    fields_ = forms.CharField(max_length=200)  # the field names, comma separated ("id_number", "tags")
    purpose = forms.ChoiceField(choices=())
    purpose_text = forms.CharField(max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = list(visibility.purpose_labels().items())
        self.fields["purpose"].label = _("Purpose")
        self.fields["purpose_text"].label = _("In words")
        self.fields["fields_"].widget = forms.HiddenInput()

    def names(self) -> list[str]:
        return [n.strip() for n in self.cleaned_data["fields_"].split(",") if n.strip()]


def _field_labels(names: list[str]) -> list[str]:
    labels = {f.attribute: f.label for f in dictionary_fields("person", (*Person.TRACKED, visibility.TAGS))}
    return [labels.get(n, n) for n in names]


@require_http_methods(["GET", "POST"])
@records_required
def person_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the small form asking why (htmx swaps it in place of the masked value); POST: the clear values."""
    shown = or_404(queries.get_person_for, request.user, pk)  # out of scope: 404 before anything else
    names = [n for n in request.GET.get("fields", request.POST.get("fields_", "")).split(",") if n]
    fragment = bool(request.htmx)
    context: dict[str, Any] = {"person": shown, "names": ",".join(names), "labels": _field_labels(names)}
    context["fragment"] = fragment
    context["base_template"] = "registry/_fragment.html" if fragment else "base.html"
    if request.method == "GET":
        context["form"] = RevealForm(initial={"fields_": ",".join(names)})
        return render(request, "registry/reveal.html", context)
    form = RevealForm(request.POST)
    context["form"] = form
    if not form.is_valid():
        return render(request, "registry/reveal.html", context, status=400)
    try:
        purpose = visibility.purpose_text(form.cleaned_data["purpose"], form.cleaned_data["purpose_text"])
        shown_values = visibility.reveal_person(request.user, pk, form.names(), purpose)
    except NotFound as e:
        raise Http404(e.message) from e
    except DomainForbidden as e:
        return render(request, "registry/reveal.html", {**context, "refused": e.message}, status=403)
    except DomainError as e:
        form.add_error(None, e.message)
        return render(request, "registry/reveal.html", context, status=400)
    labels = {f.attribute: f for f in dictionary_fields("person", Person.TRACKED)}
    codes = code_labels(list(labels.values()))
    context["revealed"] = [
        {"name": n, "label": labels[n].label if n in labels else n, "value": display_value(v, codes.get(n))}
        for n, v in shown_values["values"].items()
    ]
    context["revealed_tags"] = shown_values["tags"]
    context["tags_asked"] = visibility.TAGS in form.names()
    return render(request, "registry/reveal.html", context)


urlpatterns = [
    path("people/<int:pk>/edit/", person_edit, name="registry_person_edit"),
    path("people/<int:pk>/reveal/", person_reveal, name="registry_person_reveal"),
    path("people/<int:pk>/employments/new/", employment_new, name="registry_employment_new"),
    path("employments/<int:pk>/end/", employment_end, name="registry_employment_end"),
]
