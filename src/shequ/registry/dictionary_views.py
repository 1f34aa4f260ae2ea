"""The data dictionary's pages: the fields by record type, each code table, and the catalogue downloads."""

from __future__ import annotations

import io
import tempfile

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from shequ import audit
from shequ.access.decorators import staff_required
from shequ.audit.actions import Target
from shequ.core import clock

from . import catalogue
from .dictionary import CodeTable


@require_GET
@staff_required
def dictionary(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    found = catalogue.fields(query)
    context = {"query": query, "groups": catalogue.grouped(found), "count": found.count()}
    return render(request, "registry/dictionary.html", context)


@require_GET
@staff_required
def code_table(request: HttpRequest, code: str) -> HttpResponse:
    table = CodeTable.objects.filter(code=code).first()
    if table is None:
        raise Http404
    context = {"table": table, "items": table.items.all(), "fields": table.fields.all()}
    return render(request, "registry/dictionary_code_table.html", context)


def _name(suffix: str) -> str:
    return f"{catalogue.title()}_{clock.now():%Y%m%d}.{suffix}"


def _audited(request: HttpRequest, suffix: str) -> str:
    # The catalogue holds no personal data, but every export is on the trail all the same.
    audit.record("export", request=request, target=Target("registry.catalogue"), detail={"format": suffix})
    return _name(suffix)


@require_GET
@staff_required
def catalogue_xlsx(request: HttpRequest) -> HttpResponse:
    target = tempfile.TemporaryFile()  # noqa: SIM115 -- the response closes it
    catalogue.write_xlsx(target)
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=_audited(request, "xlsx"))


@require_GET
@staff_required
def catalogue_json(request: HttpRequest) -> HttpResponse:
    return FileResponse(io.BytesIO(catalogue.json_bytes()), as_attachment=True, filename=_audited(request, "json"))


urlpatterns = [
    path("dictionary/", dictionary, name="registry_dictionary"),
    path("dictionary/code-tables/<str:code>/", code_table, name="registry_code_table"),
    path("dictionary/catalogue.xlsx", catalogue_xlsx, name="registry_catalogue_xlsx"),
    path("dictionary/catalogue.json", catalogue_json, name="registry_catalogue_json"),
]
