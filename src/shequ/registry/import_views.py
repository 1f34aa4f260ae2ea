"""Ledger import and export pages (台账导入导出), mounted under /registry/.

Import: upload -> mapping (headers to dictionary fields, prefilled from the source's saved mapping) -> dry run
(inline, or in the background with a progress bar polled by htmx) -> the batch page with its rejections -> confirm
to apply. Export: what the user may see, as XLSX or CSV. The rules live in ``importing``, ``tasks`` and ``exporting``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequ.access.decorators import staff_required
from shequ.core.errors import DomainError, NotFound

from . import exporting, tasks
from .importing import importable_fields, kinds, resolve_mapping, save_mapping, suggest
from .importing.uploads import batches_for, get_batch_for, has_upload, ledger_source, may_import, store_upload
from .models import ImportStatus, LedgerSource, TagTarget

SESSION_KEY = "registry_uploads"
SAMPLE_ROWS = 3
KEEP_UPLOADS = 5


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Ledger file (CSV or XLSX)"))
    source = forms.ModelChoiceField(
        label=gettext_lazy("Ledger source"),
        queryset=LedgerSource.objects.all(),
        required=False,
        empty_label=gettext_lazy("— a new source —"),
    )
    new_name = forms.CharField(label=gettext_lazy("New source name"), max_length=100, required=False)
    department = forms.CharField(label=pgettext_lazy("registry", "Department"), max_length=60, required=False)
    record_type = forms.ChoiceField(label=gettext_lazy("The ledger lists"), choices=(), initial=TagTarget.PERSON)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["record_type"].choices = kinds.choices()  # people, organisations, and other apps' types


def _importer(request: HttpRequest) -> None:
    if not may_import(request.user):
        raise PermissionDenied


def _uploads(request: HttpRequest) -> dict[str, dict[str, Any]]:
    return request.session.setdefault(SESSION_KEY, {})


def _upload(request: HttpRequest, sha256: str) -> dict[str, Any]:
    upload = _uploads(request).get(sha256)
    if upload is None:
        raise Http404
    return upload


@require_http_methods(["GET", "POST"])
@staff_required
def imports(request: HttpRequest) -> HttpResponse:
    _importer(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            data = form.cleaned_data
            table = store_upload(data["file"].read(), data["file"].name)
            source = data["source"] or ledger_source(
                name=data["new_name"], department=data["department"], record_type=data["record_type"]
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            uploads = _uploads(request)
            for stale in list(uploads)[: max(len(uploads) - KEEP_UPLOADS + 1, 0)]:
                del uploads[stale]  # the session holds sample values: keep only the latest few
            uploads.pop(table.sha256, None)
            uploads[table.sha256] = {
                "file_name": table.file_name,
                "source": source.pk,
                "headers": table.headers,
                "rows": len(table.rows),
                "samples": [[r.cells.get(h, "") for h in table.headers] for r in table.rows[:SAMPLE_ROWS]],
            }
            request.session.modified = True
            return redirect("registry_import_mapping", sha256=table.sha256)
    page = Paginator(batches_for(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "registry/import_list.html", {"form": form, "page": page})


@require_http_methods(["GET", "POST"])
@staff_required
def mapping(request: HttpRequest, sha256: str) -> HttpResponse:
    _importer(request)
    upload = _upload(request, sha256)
    source = LedgerSource.objects.filter(pk=upload["source"]).first()
    if source is None:
        raise Http404
    headers: list[str] = upload["headers"]
    fields = importable_fields(source.record_type)
    chosen = suggest(source, headers, fields)
    error = ""
    if request.method == "POST":
        chosen = {h: request.POST.get(f"column-{i}", "") for i, h in enumerate(headers)}
        try:
            save_mapping(source, resolve_mapping(source, headers, chosen))
            job = tasks.start_import(
                source=source,
                by=request.user,
                sha256=sha256,
                file_name=upload["file_name"],
                dry_run=True,
                rows=upload["rows"],
            )
        except DomainError as refused:
            error = refused.message
        else:
            return _after_start(job)
    columns = [
        {"index": i, "header": h, "chosen": chosen.get(h, ""), "samples": [s[i] for s in upload["samples"]]}
        for i, h in enumerate(headers)
    ]
    context = {
        "source": source,
        "upload": upload,
        "sha256": sha256,
        "columns": columns,
        "fields": sorted(fields.values(), key=lambda f: (not f.required, f.name)),
        "error": error,
    }
    return render(request, "registry/import_mapping.html", context, status=400 if error else 200)


def _after_start(job: tasks.Job) -> HttpResponse:
    if job.status == "finished" and job.batch:
        return redirect("registry_import_batch", pk=job.batch)
    return redirect("registry_import_job", job=job.id)


def _job_for(request: HttpRequest, job_id: str) -> tasks.Job:
    job = tasks.get_job(job_id)
    if job is None or job.user != request.user.pk:
        raise Http404
    return job


@require_GET
@staff_required
def job_page(request: HttpRequest, job: str) -> HttpResponse:
    _importer(request)
    found = _job_for(request, job)
    if found.status == "finished" and found.batch:
        return redirect("registry_import_batch", pk=found.batch)
    return render(request, "registry/import_job.html", {"job": found})


@require_GET
@staff_required
def job_progress(request: HttpRequest, job: str) -> HttpResponse:
    """The progress bar, polled by htmx; when the job is done, htmx follows to the batch page."""
    _importer(request)
    found = _job_for(request, job)
    response = render(request, "registry/import_progress.html", {"job": found})
    if found.status == "finished" and found.batch:
        response["HX-Redirect"] = reverse("registry_import_batch", kwargs={"pk": found.batch})
    return response


def _batch(request: HttpRequest, pk: int) -> Any:
    try:
        return get_batch_for(request.user, pk)
    except NotFound:
        raise Http404 from None


def _may_apply(batch: Any) -> bool:
    return batch.status == ImportStatus.DRY_RUN and batch.rejected == 0 and has_upload(batch)


@require_GET
@staff_required
def batch_page(request: HttpRequest, pk: int) -> HttpResponse:
    _importer(request)
    batch = _batch(request, pk)
    page = Paginator(batch.rejections.all(), 50).get_page(request.GET.get("page"))
    context = {
        "batch": batch,
        "page": page,
        "may_apply": _may_apply(batch),
        "report_url": kinds.report_url(batch),
        "record_label": dict(kinds.choices()).get(batch.source.record_type, batch.source.record_type),
    }
    return render(request, "registry/import_batch.html", context)


@require_POST
@staff_required
def apply(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm a clean dry run: import the same file with the same mapping, for real."""
    _importer(request)
    batch = _batch(request, pk)
    if not _may_apply(batch):
        messages.error(request, _("Only a dry run without rejected rows, whose file is still kept, can be applied."))
        return redirect("registry_import_batch", pk=batch.pk)
    try:
        job = tasks.start_import(
            source=batch.source,
            by=request.user,
            sha256=batch.sha256,
            file_name=batch.file_name,
            dry_run=False,
            rows=batch.total,
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("registry_import_batch", pk=batch.pk)
    return _after_start(job)


@require_GET
@staff_required
def rejections(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The batch's rejected rows as a report to hand back to the department (CSV or XLSX)."""
    _importer(request)
    if fmt not in exporting.FORMATS:
        raise Http404
    batch = _batch(request, pk)
    headers = [_("Row"), _("Column"), _("Value"), _("Reason"), _("Code")]
    body = ([r.row, r.column, r.value, r.reason, r.code] for r in batch.rejections.all().iterator(chunk_size=2000))
    name = _("Rejections of batch %(batch)d") % {"batch": batch.pk}
    if fmt == "csv":
        response = StreamingHttpResponse(
            exporting.csv_chunks(headers, ([str(c) for c in row] for row in body)), content_type="text/csv"
        )
        response["Content-Disposition"] = f'attachment; filename="rejections-{batch.pk}.csv"'
        return response
    return FileResponse(
        exporting.xlsx_file(headers, body, title=name), as_attachment=True, filename=f"rejections-{batch.pk}.xlsx"
    )


# --- export ----------------------------------------------------------------------------------------


@require_GET
@staff_required
def export_page(request: HttpRequest) -> HttpResponse:
    record_type = request.GET.get("record", "person")
    if record_type not in exporting.MODELS:
        record_type = "person"
    query = request.GET.get("q", "").strip()
    try:
        export = exporting.build_export(request.user, record_type, query)
    except DomainError as e:  # a search on what the user does not see in clear (registry.search.refusal)
        messages.error(request, e.message)
        query = ""
        export = exporting.build_export(request.user, record_type, query)
    context = {
        "record_type": record_type,
        "records": exporting.record_names(),
        "query": query,
        "count": export.records.count(),
        "columns": export.columns,
    }
    return render(request, "registry/export.html", context)


@require_GET
@staff_required
def export_download(request: HttpRequest) -> HttpResponse:
    fmt = request.GET.get("format", "xlsx")
    if fmt not in exporting.FORMATS:
        raise Http404
    try:
        export = exporting.build_export(
            request.user, request.GET.get("record", ""), request.GET.get("q", ""), download=True
        )
    except DomainError:
        raise Http404 from None
    if fmt == "csv":
        response = StreamingHttpResponse(exporting.export_csv(export), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = _disposition(export.file_name("csv"))
        return response
    return FileResponse(exporting.export_xlsx(export), as_attachment=True, filename=export.file_name("xlsx"))


def _disposition(name: str) -> str:
    from urllib.parse import quote

    return f"attachment; filename*=UTF-8''{quote(name)}"


urlpatterns = [
    path("imports/", imports, name="registry_imports"),
    path("imports/uploads/<str:sha256>/", mapping, name="registry_import_mapping"),
    path("imports/jobs/<str:job>/", job_page, name="registry_import_job"),
    path("imports/jobs/<str:job>/progress/", job_progress, name="registry_import_progress"),
    path("imports/<int:pk>/", batch_page, name="registry_import_batch"),
    path("imports/<int:pk>/apply/", apply, name="registry_import_apply"),
    path("imports/<int:pk>/rejections.<str:fmt>", rejections, name="registry_import_rejections"),
    path("export/", export_page, name="registry_export"),
    path("export/download/", export_download, name="registry_export_download"),
]
