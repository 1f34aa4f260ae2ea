"""The aid ledger's pages: the ledger, an entry, the checks' report, an import batch's findings."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from shequ.access.decorators import staff_required
from shequ.core.errors import NotFound
from shequ.registry.importing.uploads import get_batch_for

from ..aid import queries

PAGE_SIZE = 50


@require_GET
@staff_required
def batch_report(request: HttpRequest, pk: int) -> HttpResponse:
    """What the checks found on an aid import batch (a dry run's rows too), beyond its rejections."""
    try:
        batch = get_batch_for(request.user, pk)
    except NotFound as e:
        raise Http404(e.message) from e
    if batch.source.record_type != "aid":
        raise Http404()
    findings = queries.findings_for(request.user).filter(batch=batch).order_by("row", "id")
    page = Paginator(findings, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "services/aid_batch.html", {"batch": batch, "page": page})
