"""Auditor pages: search the trail, read one entry, export CSV (itself audited), verify the chain now."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from shequ.core import clock
from shequ.core.errors import NotFound

from .actions import Target, record
from .chain import HASHED, verify_chain
from .forms import EntrySearchForm
from .models import Action, AuditEntry
from .queries import entries_for, get_entry_for, may_audit

PAGE_SIZE = 50


def auditor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous users log in; anyone who is not an auditor or administrator finds nothing here (404)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not may_audit(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@auditor_required
def entry_list(request: HttpRequest) -> HttpResponse:
    form = EntrySearchForm(request.GET or None)
    entries = entries_for(request.user, form.to_filter())
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "query": request.GET.urlencode()}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "audit/_entry_results.html", context)
    return render(request, "audit/entry_list.html", context)


@auditor_required
def entry_detail(request: HttpRequest, sequence: int) -> HttpResponse:
    try:
        entry = get_entry_for(request.user, sequence)
    except NotFound as e:
        raise Http404(e.message) from e
    detail_json = json.dumps(entry.detail, ensure_ascii=False, indent=2, sort_keys=True)
    return render(request, "audit/entry_detail.html", {"entry": entry, "detail_json": detail_json})


class _Echo:
    def write(self, value: str) -> str:
        return value


# Everything the hash covers (the actor by name, not id), then the hash: an exported row can be checked.
CSV_COLUMNS = (*(name for name in HASHED if name != "actor_id"), "hash")


def _csv_rows(entries) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so spreadsheet programs read the Chinese as UTF-8
    yield writer.writerow([str(AuditEntry._meta.get_field(name).verbose_name) for name in CSV_COLUMNS])
    for e in entries.iterator(chunk_size=2000):
        yield writer.writerow(
            [
                e.sequence,
                timezone.localtime(e.at).isoformat(),
                e.actor_username,
                e.ip,
                e.user_agent,
                e.channel,
                e.action,
                e.target_type,
                e.target_id,
                e.area_code,
                " ".join(e.fields),
                e.purpose,
                _json(e.detail),
                e.prev_hash,
                e.hash,
            ]
        )


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""


@auditor_required
def export_csv(request: HttpRequest) -> HttpResponse:
    """The export is recorded (with its filter and row count) before the first row leaves."""
    form = EntrySearchForm(request.GET or None)
    search = form.to_filter()
    entries = entries_for(request.user, search)
    count = entries.count()
    record(
        Action.EXPORT,
        request=request,
        target=Target(type="audit.auditentry"),
        purpose=_("Export of the audit trail"),
        detail={"filter": search.as_detail(), "rows": count, "format": "csv"},
    )
    response = StreamingHttpResponse(_csv_rows(entries), content_type="text/csv; charset=utf-8")
    name = f"audit-{clock.now():%Y%m%d-%H%M%S}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@auditor_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    verdict = None
    if request.method == "POST":
        verdict = verify_chain()
        record(
            Action.VERIFY,
            request=request,
            target=Target(type="audit.auditentry"),
            detail={
                "ok": verdict.ok,
                "checked": verdict.checked,
                "problem": verdict.problem,
                "sequence": verdict.sequence,
            },
        )
    context = {"verdict": verdict}
    if request.htmx and verdict is not None:
        return render(request, "audit/_verdict.html", context)
    return render(request, "audit/verify.html", context)
