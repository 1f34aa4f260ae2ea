"""One import batch, whatever the record type: map the columns, check and write chunk by chunk in one transaction,
roll everything back on the first rejected row (still checking the rest so every fault is listed), keep the outcome.

A batch is ``running`` from the start, outside the import's transaction, so the list shows it. If the process dies
mid-way (a worker killed) the transaction rolls back but that row stays: ``close_abandoned`` ends it as failed. On
PostgreSQL a running import holds a session advisory lock on its batch (taken before the row is visible, given
up when the batch is finished or the connection ends), so a batch whose lock is free is abandoned at once.

Each record type brings its own ``Run`` (``people._Run``, ``organizations._Run``): how a chunk of rows is checked and
matched, and how its records are saved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from shequ.access.models import User
from shequ.core import clock, leases

from .. import actions
from ..models import ImportBatch, ImportRejection, ImportStatus, LedgerSource, SourceKind
from .mapping import resolve_mapping, save_mapping
from .reading import Row
from .values import Fault

CHUNK = 1000
Progress = Callable[[int, int], None]


@dataclass
class ImportReport:
    batch: ImportBatch
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
    queued: int = 0  # pairs (a new record, a record of the base) put in the review queue
    rejections: list[Fault] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    # an earlier applied batch of the same source with the very same file content
    same_file_as: ImportBatch | None = None

    @property
    def rejected(self) -> int:
        return len({f.row for f in self.rejections})

    @property
    def ok(self) -> bool:
        return not self.rejections


class Run(Protocol):
    def chunk(self, rows: Sequence[Row]) -> tuple[list[Any], list[tuple[Any, dict[str, Any]]]]: ...

    def save(
        self, new: list[Any], changed: list[tuple[Any, dict[str, Any]]], *, by: User | None, source: Any
    ) -> None: ...


# A Run may also have ``finish(batch, status)``: called once the batch's outcome is kept, outside the rolled-back
# transaction of a dry run, so what it writes (the aid checks' findings) stays for a dry run too.


class _Rollback(Exception):
    pass


def run_batch(
    start_run: Callable[..., Run],
    *,
    source: LedgerSource,
    rows: Sequence[Row],
    by: User | None,
    dry_run: bool,
    headers: list[str] | None = None,
    mapping: dict[str, str] | None = None,
    file_name: str = "",
    sha256: str = "",
    progress: Progress | None = None,
) -> ImportReport:
    """Import rows all or nothing; a dry run only previews (and keeps the batch with its rejections).

    ``mapping`` overrides the source's saved mapping for some headers; the mapping used is saved for next time.
    ``start_run(report, columns, lock=...)`` makes the record type's Run. Change rows name the batch as their source.
    """
    with translation.override(settings.LANGUAGE_CODE):  # reasons are stored, in the UI's language
        columns = resolve_mapping(
            source, headers if headers is not None else list(rows[0].cells) if rows else [], mapping
        )
        save_mapping(source, columns)
        with transaction.atomic():  # the lock is held before any other process can see the running batch
            batch = ImportBatch.objects.create(
                source=source, file_name=file_name, sha256=sha256, by=by, total=len(rows), started_at=clock.now()
            )
            leases.hold(_LOCK_SPACE, batch.pk)
        try:
            report = ImportReport(batch=batch, total=len(rows), unmapped=columns.unmapped)
            if sha256:
                earlier = ImportBatch.objects.filter(source=source, sha256=sha256, status=ImportStatus.APPLIED)
                report.same_file_as = earlier.exclude(pk=batch.pk).order_by("-started_at", "-id").first()
            run = start_run(report, columns, lock=not dry_run)
            origin = actions.Source(SourceKind.IMPORT, str(batch.pk))
            try:
                with transaction.atomic():
                    if progress:
                        progress(0, len(rows))
                    for start in range(0, len(rows), CHUNK):
                        new, changed = run.chunk(rows[start : start + CHUNK])
                        if not dry_run and report.ok:
                            run.save(new, changed, by=by, source=origin)
                        if progress:
                            progress(min(start + CHUNK, len(rows)), len(rows))
                    if dry_run or not report.ok:
                        raise _Rollback
            except _Rollback:
                pass
            except Exception:
                _finish(batch, report, ImportStatus.FAILED)
                raise
            status = ImportStatus.DRY_RUN if dry_run else ImportStatus.APPLIED if report.ok else ImportStatus.FAILED
            _finish(batch, report, status)
            finish = getattr(run, "finish", None)
            if finish is not None:
                finish(batch, status)
        finally:
            leases.let_go(_LOCK_SPACE, batch.pk, f"import batch {batch.pk}")
    return report


def _finish(batch: ImportBatch, report: ImportReport, status: str) -> None:
    """Keep the outcome. For a dry run or a failed batch the counts say what the file would have done."""
    ImportRejection.objects.bulk_create(
        [
            ImportRejection(batch=batch, row=f.row, column=f.column, value=f.value, reason=f.reason, code=f.code)
            for f in report.rejections
        ],
        batch_size=2000,
    )
    batch.status = status
    batch.created, batch.updated, batch.unchanged = report.created, report.updated, report.unchanged
    batch.merged, batch.queued, batch.rejected = report.merged, report.queued, report.rejected
    batch.finished_at = clock.now()
    batch.save()


# --- batches a dead process left running ------------------------------------------------------------------

# The namespace (first key) of the advisory locks on import batches; the second key is the batch's id.
_LOCK_SPACE = 0x53485149  # "SHQI"
# Without advisory locks (SQLite: imports run in the web process) a batch running this long is taken for lost.
LOST_AFTER = timedelta(hours=24)


def close_abandoned() -> int:
    """End as failed the batches left running by an import whose process died; returns how many.

    Its transaction rolled back, so nothing of the file was kept: the counts stay zero and one rejection row says
    why. The import's task, queued again, makes a new batch. Only ``running`` rows change: an import that ended
    between the look and the update has already written its own outcome."""
    now = clock.now()
    running = ImportBatch.objects.filter(status=ImportStatus.RUNNING)
    if leases.available():
        lost = [pk for pk in running.order_by("pk").values_list("pk", flat=True) if leases.free(_LOCK_SPACE, pk)]
    else:
        lost = list(running.filter(started_at__lt=now - LOST_AFTER).values_list("pk", flat=True))
    closed = 0
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("The import stopped before it ended (its process was stopped); nothing of the file was kept.")
    for pk in lost:
        with transaction.atomic():
            if ImportBatch.objects.filter(pk=pk, status=ImportStatus.RUNNING).update(
                status=ImportStatus.FAILED, finished_at=now
            ):
                ImportRejection.objects.create(batch_id=pk, row=0, reason=reason, code="interrupted")
                closed += 1
    return closed
