"""Import and export of the device registry (CSV or XLSX)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from shequ import audit
from shequ.access.decorators import staff_required
from shequ.access.scopes import manages_area
from shequ.core.errors import DomainError

from . import importing, queries
from .forms import ImportForm

MAX_BYTES = 10 * 1024 * 1024


@staff_required
def import_page(request: HttpRequest) -> HttpResponse:
    if not manages_area(request.user):
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None)
    outcome, error = None, ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            error = "文件超过 10 MB。"
        else:
            try:
                outcome = importing.import_devices(upload.read(), upload.name, by=request.user)
            except DomainError as e:
                error = e.message
    return render(
        request, "devices/import.html", {"form": form, "outcome": outcome, "error": error, "columns": importing.COLUMNS}
    )


@staff_required
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "xlsx"):
        raise Http404
    devices = queries.devices_for(request.user).order_by("area_code", "code")
    audit.record("export", actor=request.user, request=request, detail={"what": "devices", "format": fmt})
    if fmt == "csv":
        body, kind = importing.export_csv(devices), "text/csv; charset=utf-8"
    else:
        body, kind = importing.export_xlsx(devices), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(body, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="devices.{fmt}"'
    return response
