"""Model versions: train from the corpus plus staff corrections, evaluate on the
held-back part, keep every version, activate only one that is not worse than the
active one, and roll back.

The active version's arrays are written once per process to ``var/intake/``; which
version is active is kept in the cache (checked every few seconds), so every process
switches soon after an activation, as the grid index does.
"""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _

from shequ import audit
from shequ.access.models import User
from shequ.core import clock
from shequ.core.errors import InvalidInput

from . import training
from .classifier import Model
from .corpus.generate import Example, read_tsv
from .models import Correction, ModelVersion, TrainingRun

DATA = Path(__file__).parent / "data"
TRAIN_TSV = DATA / "corpus" / "train.tsv"
HELD_TSV = DATA / "corpus" / "heldout.tsv"
_KEY = "shequ:intake:active-version"
_CHECK_SECONDS = 2.0
_memo: dict[str, object] = {"checked": 0.0, "active": None}
# Worse means more than this below the active version's top-1 on the held-back set.
TOLERANCE = 0.0


def _active() -> str | None:
    """The active version's digest ("" for none), from the cache, checked every few seconds."""
    now = time.monotonic()
    if now - float(_memo["checked"]) > _CHECK_SECONDS:  # type: ignore[arg-type]
        digest = cache.get(_KEY)
        if digest is None:
            digest = ModelVersion.objects.filter(active=True).values_list("digest", flat=True).first() or ""
            cache.set(_KEY, digest, None)
        _memo["active"], _memo["checked"] = digest, now
    return _memo["active"] or None  # type: ignore[return-value]


def active_path() -> Path | None:
    """The file of the active version (written on first use), or None for the shipped model.

    Named by the arrays' digest: two databases (or a rolled-back test database) never share a file by mistake.
    """
    digest = _active()
    if digest is None:
        return None
    path = Path(settings.VAR_DIR) / "intake" / f"{digest}.npz"
    if not path.exists():
        row = ModelVersion.objects.filter(digest=digest).values_list("arrays", flat=True).first()
        if row is None:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(bytes(row))
        tmp.replace(path)
    return path


def forget() -> None:
    """Drop this process's memory of the active version (tests, after an activation)."""
    _memo["checked"], _memo["number"] = 0.0, None
    cache.delete(_KEY)


def corrections_as_examples() -> list[Example]:
    """Staff corrections as labelled examples: Correction rows, and every event whose category
    the desk changed (a ``recategorize`` row in its timeline), with the category it has now."""
    from shequ.events.models import Event

    rows = [Example(text, chosen, "correction") for text, chosen in Correction.objects.values_list("text", "chosen")]
    changed = (
        Event.objects.filter(timeline__action="recategorize", category__isnull=False)
        .distinct()
        .values_list("description", "category__code")
    )
    return rows + [Example(text, code, "correction") for text, code in changed]


def _to_bytes(model: Model) -> bytes:
    buf = io.BytesIO()
    model.save(buf)
    return buf.getvalue()


def held_back() -> list[Example]:
    return read_tsv(HELD_TSV)


def train_version(
    *,
    by: User | None,
    seed: int = 15,
    train_examples: list[Example] | None = None,
    held: list[Example] | None = None,
    progress: Callable[[float], None] | None = None,
    note: str = "",
) -> tuple[ModelVersion, bool]:
    """Train, evaluate and keep a new version; activate it if it is not worse on the held-back set.

    Returns the version and whether it was activated.
    """
    base = train_examples if train_examples is not None else read_tsv(TRAIN_TSV)
    fixes = corrections_as_examples()
    model = training.train(base + fixes, seed=seed, progress=progress)
    held = held if held is not None else held_back()
    ev = training.evaluate(model, held)
    if progress:
        progress(0.97)
    arrays = _to_bytes(model)
    with transaction.atomic():
        last = ModelVersion.objects.select_for_update().order_by("-number").first()
        version = ModelVersion.objects.create(
            number=(last.number + 1) if last else 1,
            created_at=clock.now(),
            trained_by=by,
            seed=seed,
            examples=len(base) + len(fixes),
            corrections=len(fixes),
            top1=ev.top1,
            top3=ev.top3,
            evaluation=ev.as_dict(),
            arrays=arrays,
            digest=hashlib.sha256(arrays).hexdigest(),
            note=note[:200],
        )
        current = ModelVersion.objects.filter(active=True).first()
        better = current is None or (ev.top1 >= current.top1 - TOLERANCE and ev.top3 >= current.top3 - TOLERANCE)
        if better:
            _activate(version, by=by)
    return version, better


def _activate(version: ModelVersion, *, by: User | None) -> None:
    ModelVersion.objects.filter(active=True).exclude(pk=version.pk).update(active=False)
    ModelVersion.objects.filter(pk=version.pk).update(active=True)
    version.active = True
    audit.record("write", actor=by, target=version, detail={"action": "activate", "version": version.number})
    transaction.on_commit(lambda: cache.set(_KEY, version.digest, None))
    transaction.on_commit(lambda: _memo.update(checked=0.0))


@transaction.atomic
def roll_back(version: ModelVersion, *, by: User) -> ModelVersion:
    """Make an earlier version the active one again (staff decide; no accuracy check)."""
    if not (by.is_superuser or getattr(by, "sees_everything", False)):
        from shequ.core.errors import PermissionDenied

        raise PermissionDenied(_("Only district administrators may change the active model."))
    version.refresh_from_db(fields=["active"])
    if version.active:
        raise InvalidInput(_("This version is already active."), code="already_active")
    _activate(version, by=by)
    return version


def start_run(*, by: User | None) -> TrainingRun:
    return TrainingRun.objects.create(started_at=clock.now(), started_by=by, state=TrainingRun.State.QUEUED)


def execute_run(run: TrainingRun, **kwargs) -> TrainingRun:
    """Run a queued training, writing its progress to its row as it goes (the page polls it)."""
    TrainingRun.objects.filter(pk=run.pk).update(state=TrainingRun.State.RUNNING, progress=0.05)

    def progress(p: float) -> None:
        TrainingRun.objects.filter(pk=run.pk).update(progress=round(p, 3))

    try:
        version, activated = train_version(by=run.started_by, progress=progress, **kwargs)
    except Exception as e:
        TrainingRun.objects.filter(pk=run.pk).update(
            state=TrainingRun.State.FAILED, message=str(e)[:300], finished_at=clock.now()
        )
        raise
    TrainingRun.objects.filter(pk=run.pk).update(
        state=TrainingRun.State.DONE,
        progress=1.0,
        version=version,
        activated=activated,
        finished_at=clock.now(),
        message=(_("v%(n)s activated") if activated else _("v%(n)s kept, not activated: worse on the held-back set"))
        % {"n": version.number},
    )
    run.refresh_from_db()
    return run
