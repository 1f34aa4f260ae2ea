"""Identity resolution pages: the review queue, the side-by-side comparison, merging with a confirmation, marking a
pair as two people, and the list of merges with undo.

For community staff and above. A pair is shown only if the user may see both people, a merge only if the user may
see the kept record (``reviewing.candidates_for`` / ``merges_for``, built on the ``queries`` access point):
anything else is a 404. Views parse, call ``merging``, ``unmerging`` or ``reviewing``, render.
"""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as PageForbidden
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shequ.access.decorators import staff_required
from shequ.access.models import User
from shequ.core.errors import DomainError

from . import actions, merging, queries, reviewing, unmerging, visibility
from .dictionary import CodeItem, Field
from .matching import REASONS
from .models import MatchCandidate, MatchStatus, Person, PersonTag

PAGE_SIZE = 20


def _desk(user: User) -> None:
    if not queries.may_edit_records(user):
        raise PageForbidden


def _candidate(user: User, pk: int) -> MatchCandidate:
    found = reviewing.candidates_for(user).select_related("first", "second").filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def _labels() -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Chinese label of each tracked field, and code -> label for the coded ones (from the data dictionary)."""
    fields = {f.attribute: f for f in Field.objects.filter(name__startswith="person.").select_related("code_table")}
    labels = {
        n: fields[n].label if n in fields else str(Person._meta.get_field(n).verbose_name) for n in Person.TRACKED
    }
    codes: dict[str, dict[str, str]] = {}
    for name, field in fields.items():
        if field.code_table_id:
            codes[name] = dict(CodeItem.objects.filter(table_id=field.code_table_id).values_list("code", "label"))
    return labels, codes


def _shown(value: Any, codes: dict[str, str] | None) -> str:
    text = actions.dump(value)
    if text is None:
        return ""
    return codes.get(text, text) if codes else text


def _reasons(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"text": REASONS.get(r.get("code", ""), r.get("code", "")), "points": r.get("points", 0.0)}
        for r in reasons
        if r.get("code") != "id_unusable"
    ]


def _side(person: Person, viewer: visibility.Viewer) -> dict[str, Any]:
    """One side of the comparison as the user may see it (a masked copy; the merge reads the real record)."""
    residences = queries.current_residences().filter(person=person).select_related("dwelling__building")
    tags = PersonTag.objects.filter(person=person, until__isnull=True).select_related("tag")
    return {
        "person": viewer.mask(copy.copy(person)),
        "residences": viewer.residences(residences),
        "tags": [t.tag.name for t in viewer.clear_tag_rows(tags)],
    }


def _compare_context(candidate: MatchCandidate, picked: dict[str, str] | None = None, *, user: User) -> dict[str, Any]:
    first, second = candidate.first, candidate.second
    kept, _merged = merging.keep_order(first, second)
    keep = (picked or {}).get("keep") or ("first" if kept == first else "second")
    kept, merged = (first, second) if keep == "first" else (second, first)
    defaults = merging.default_choices(kept, merged)
    differing = set(merging.differing_fields(first, second))
    labels, codes = _labels()
    viewer = visibility.viewer_for(user)
    rows = []
    for name in Person.TRACKED:
        if viewer.hidden(f"person.{name}"):
            continue
        clear = viewer.clear(f"person.{name}")
        side = defaults.get(name, "kept")
        default = keep if side == "kept" else ("second" if keep == "first" else "first")
        rows.append(
            {
                "name": name,
                "label": labels[name],
                "first": _shown(
                    viewer.shown(f"person.{name}", getattr(first, name)), codes.get(name) if clear else None
                ),
                "second": _shown(
                    viewer.shown(f"person.{name}", getattr(second, name)), codes.get(name) if clear else None
                ),
                "differs": name in differing,
                "choice": (picked or {}).get(name, default),
            }
        )
    return {
        "candidate": candidate,
        "rows": rows,
        "keep": keep,
        "first": _side(first, viewer),
        "second": _side(second, viewer),
        "reasons": _reasons(candidate.reasons),
        "pending": candidate.status == MatchStatus.PENDING,
    }


@require_GET
@staff_required
def review_queue(request: HttpRequest) -> HttpResponse:
    _desk(request.user)
    pending = (
        reviewing.candidates_for(request.user)
        .filter(status=MatchStatus.PENDING)
        .select_related("first", "second")
        .order_by("-score", "id")
    )
    page = Paginator(pending, PAGE_SIZE).get_page(request.GET.get("page"))
    viewer = visibility.viewer_for(request.user)
    for candidate in page.object_list:
        viewer.mask(candidate.first)  # loaded for this list only: masked in place
        viewer.mask(candidate.second)
        candidate.shown_reasons = [r for r in _reasons(candidate.reasons) if r["points"] > 0]
    return render(request, "registry/review_queue.html", {"page": page})


@require_GET
@staff_required
def review_compare(request: HttpRequest, pk: int) -> HttpResponse:
    _desk(request.user)
    candidate = _candidate(request.user, pk)
    return render(request, "registry/review_compare.html", _compare_context(candidate, user=request.user))


def _picked(request: HttpRequest, candidate: MatchCandidate) -> dict[str, str]:
    keep = request.POST.get("keep", "")
    picked = {"keep": keep} if keep in ("first", "second") else {}
    for name in Person.TRACKED:
        value = request.POST.get(f"choice_{name}", "")
        if value in ("first", "second"):
            picked[name] = value
    return picked


def _choices(picked: dict[str, str], keep: str) -> dict[str, str]:
    """first/second per field (what the page shows) -> kept/merged (what ``merging.merge`` takes)."""
    return {name: "kept" if side == keep else "merged" for name, side in picked.items() if name != "keep"}


@require_POST
@staff_required
def review_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Two steps: the chosen values are shown as the merged record will be, then merged on confirmation."""
    _desk(request.user)
    candidate = _candidate(request.user, pk)
    context = _compare_context(candidate, _picked(request, candidate), user=request.user)
    keep = context["keep"]
    kept, merged = (candidate.first, candidate.second) if keep == "first" else (candidate.second, candidate.first)
    choices = _choices({r["name"]: r["choice"] for r in context["rows"] if r["differs"]}, keep)
    # the names as the user may see them (masked copies; the merge itself reads the real records)
    shown_kept, shown_merged = (
        (context["first"]["person"], context["second"]["person"])
        if keep == "first"
        else (context["second"]["person"], context["first"]["person"])
    )
    if request.POST.get("confirmed") != "1":
        context.update(kept=shown_kept, merged=shown_merged)
        return render(request, "registry/merge_confirm.html", context)
    try:
        merging.merge(kept, merged, choices=choices, by=request.user, candidate=candidate)
    except DomainError as error:
        messages.error(request, error.message)
        return render(request, "registry/review_compare.html", context, status=400)
    messages.success(
        request,
        _("Merged: %(merged)s is now part of %(kept)s.") % {"merged": shown_merged.name, "kept": shown_kept.name},
    )
    return redirect("registry_review")


@require_POST
@staff_required
def review_distinct(request: HttpRequest, pk: int) -> HttpResponse:
    _desk(request.user)
    candidate = _candidate(request.user, pk)
    try:
        reviewing.mark_distinct(candidate, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("registry_review_compare", pk=pk)
    messages.success(request, _("Marked as two different people; this pair will not be proposed again."))
    return redirect("registry_review")


@require_GET
@staff_required
def merge_list(request: HttpRequest) -> HttpResponse:
    _desk(request.user)
    merges = (
        reviewing.merges_for(request.user).select_related("kept", "merged", "by", "undone_by").order_by("-at", "-id")
    )
    page = Paginator(merges, PAGE_SIZE).get_page(request.GET.get("page"))
    viewer = visibility.viewer_for(request.user)
    for m in page.object_list:  # loaded for this list only: masked in place
        viewer.mask(m.kept)
        viewer.mask(m.merged)
    return render(request, "registry/merge_list.html", {"page": page})


@require_POST
@staff_required
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    _desk(request.user)
    record = reviewing.merges_for(request.user).filter(pk=pk).first()
    if record is None:
        raise Http404
    try:
        unmerging.unmerge(record, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Merge undone: %(merged)s and %(kept)s are two records again.")
            % {"merged": record.merged.name, "kept": record.kept.name},
        )
    return redirect("registry_merges")


urlpatterns = [
    path("review/", review_queue, name="registry_review"),
    path("review/<int:pk>/", review_compare, name="registry_review_compare"),
    path("review/<int:pk>/merge/", review_merge, name="registry_review_merge"),
    path("review/<int:pk>/distinct/", review_distinct, name="registry_review_distinct"),
    path("merges/", merge_list, name="registry_merges"),
    path("merges/<int:pk>/unmerge/", merge_undo, name="registry_merge_undo"),
]
