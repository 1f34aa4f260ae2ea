"""Background imports of large ledgers, with their progress kept outside the import's transaction.

An import writes all or nothing in one transaction, so its progress cannot be a database row the page reads (the
row would stay invisible until the end). Progress goes to the cache instead, under ``registry:import-job:<job>``.
With the default in-process backend (``ImmediateBackend`` runs a task inline, in the request), the job runs on a
thread of the web process; with ``SHEQU_TASKS=database`` it is enqueued after commit and a ``db_worker`` runs it,
and the page sees its progress only if web and worker share a cache (``REDIS_URL``).
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, connection, transaction
from django_tasks import task
from django_tasks.backends.immediate import ImmediateBackend

from shequ.access.models import User
from shequ.core.errors import DomainError

from .importing import import_table
from .importing.batches import close_abandoned
from .importing.uploads import load_upload
from .models import LedgerSource

log = logging.getLogger(__name__)

JOB_SECONDS = 24 * 3600


@dataclass
class Job:
    """What the progress bar shows."""

    id: str
    user: int | None
    dry_run: bool
    status: str = "queued"  # queued, running, finished, error
    done: int = 0
    total: int = 0
    batch: int | None = None
    error: str = ""

    @property
    def percent(self) -> int:
        return 100 * self.done // self.total if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in ("finished", "error")


def _key(job: str) -> str:
    return f"registry:import-job:{job}"


def get_job(job: str) -> Job | None:
    found = cache.get(_key(job))
    return Job(**found) if found else None


def _save(job: Job) -> None:
    cache.set(_key(job.id), asdict(job), JOB_SECONDS)


def inline_rows() -> int:
    """Files up to this many rows import within the request; larger ones in the background."""
    return settings.SHEQU_IMPORT_INLINE_ROWS


@task()
def run_import(
    job_id: str, *, source_id: int, user_id: int | None, sha256: str, file_name: str, dry_run: bool
) -> int | None:
    """Import a stored upload with the source's saved mapping, reporting progress to the job. Returns the batch.

    Run again after its worker died (serve_production queues it again), it first ends that attempt's batch as
    failed (it kept nothing), then imports the file anew: the rows are written once, by one applied batch."""
    close_abandoned()
    job = get_job(job_id) or Job(id=job_id, user=user_id, dry_run=dry_run)
    job.status = "running"
    _save(job)

    def progress(done: int, total: int) -> None:
        job.done, job.total = done, total
        _save(job)

    try:
        source = LedgerSource.objects.get(pk=source_id)
        by = User.objects.filter(pk=user_id).first() if user_id else None
        table = load_upload(sha256, file_name)
        report = import_table(table, source=source, by=by, dry_run=dry_run, progress=progress)
    except DomainError as error:
        job.status, job.error = "error", error.message
        _save(job)
        return None
    except Exception:
        log.exception("import job %s failed", job_id)
        job.status, job.error = "error", ""
        _save(job)
        raise
    job.status, job.batch = "finished", report.batch.pk
    _save(job)
    return report.batch.pk


def _on_thread(job_id: str, kwargs: dict[str, Any]) -> None:
    close_old_connections()
    try:
        run_import.call(job_id, **kwargs)
    except Exception:  # already logged and shown on the job; a thread has no one else to tell
        pass
    finally:
        connection.close()


def start_import(
    *, source: LedgerSource, by: User | None, sha256: str, file_name: str, dry_run: bool, rows: int
) -> Job:
    """Run an import of a stored upload: inline when small, else in the background. The job says how it went."""
    job = Job(id=uuid.uuid4().hex, user=by.pk if by else None, dry_run=dry_run, total=rows)
    kwargs: dict[str, Any] = {
        "source_id": source.pk,
        "user_id": job.user,
        "sha256": sha256,
        "file_name": file_name,
        "dry_run": dry_run,
    }
    _save(job)
    if rows <= inline_rows():
        run_import.call(job.id, **kwargs)
        return get_job(job.id) or job
    # A background job always answers with its progress page (which forwards to the batch once done), even if a
    # small one has already finished by now.
    if isinstance(run_import.get_backend(), ImmediateBackend):
        threading.Thread(target=_on_thread, args=(job.id, kwargs), name=f"import-{job.id}", daemon=True).start()
    else:
        transaction.on_commit(lambda: run_import.enqueue(job.id, **kwargs))
    return job


@task()
def sweep_imports() -> int:
    """Periodic: end the batches of imports whose process died (``close_abandoned``)."""
    return close_abandoned()
