"""Importing a people ledger: validate every row, match existing people, write all or nothing.

Matching (simple rules for this slice): an exact ID number finds the person; a row without an ID number finds a
person with the same name, birth date and phone (a row with an ID number the base does not know may also fill in
such a person who has none). Everything else is created. The fuzzy scoring of ``matching.py`` with its review
queue is a later step. Reading, matching and writing go chunk by chunk inside one transaction; the first rejected
row stops the writing, the remaining rows are still checked so that every fault is listed, and then the whole
transaction is rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from shequ.access.models import User
from shequ.core import clock
from shequ.core.errors import InvalidInput

from .. import actions
from ..models import ImportBatch, ImportRejection, ImportStatus, LedgerSource, Person, SourceKind
from ..validators import check_consistent_with_id
from .mapping import ColumnMapping, resolve_mapping, save_mapping
from .reading import Row
from .values import Fault, RowParser

CHUNK = 1000
Progress = Callable[[int, int], None]
Key = tuple[str, date | None, str]


@dataclass
class ImportReport:
    batch: ImportBatch
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
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


class _Rollback(Exception):
    pass


def _key(values: dict[str, Any]) -> Key:
    return values.get("name", ""), values.get("birth_date"), values.get("phone", "")


class _Run:
    """State of one import: the rows seen so far (within-file duplicates) and the counts."""

    def __init__(self, report: ImportReport, mapping: ColumnMapping, *, lock: bool) -> None:
        self.report = report
        self.mapping = mapping
        self.parser = RowParser(mapping)
        self.lock = lock
        self.ids: dict[str, int] = {}  # ID number -> first row
        self.keys_any: dict[Key, int] = {}  # name, birth date, phone -> first row (any row)
        self.keys_without_id: dict[Key, int] = {}  # the same, rows without an ID number only
        self.people: dict[int, int] = {}  # existing person pk -> the row matched to it

    def _duplicate(self, row: Row, values: dict[str, Any], *, clean: bool) -> Fault | None:
        """A second row for the same person. ID numbers count even on a row with other faults (fix one, see both)."""
        number = values.get("id_number")
        key = _key(values)
        if number and number in self.ids:
            earlier, reason, code = self.ids[number], _("The same ID number is already on row %(row)d."), "duplicate_id"
        elif not clean:
            if number:
                self.ids[number] = row.number
            return None
        elif not number and key in self.keys_any:
            earlier = self.keys_any[key]
            reason, code = _("The same name, birth date and phone are already on row %(row)d."), "duplicate_row"
        elif number and key in self.keys_without_id:
            earlier = self.keys_without_id[key]
            reason, code = _("Row %(row)d, without an ID number, may be the same person."), "duplicate_row"
        else:
            if number:
                self.ids[number] = row.number
            else:
                self.keys_without_id.setdefault(key, row.number)
            self.keys_any.setdefault(key, row.number)
            return None
        attribute = "id_number" if number else "name"
        header = self.mapping.header_of(attribute)
        return Fault(row.number, header, row.cells.get(header, ""), reason % {"row": earlier}, code)

    def chunk(self, rows: Sequence[Row]) -> tuple[list[Person], list[tuple[Person, dict[str, Any]]]]:
        """Check and match a chunk of rows; return the people to create and the changes to existing ones."""
        report = self.report
        parsed: list[tuple[Row, dict[str, Any]]] = []
        for row in rows:
            values, faults = self.parser.parse(row)
            duplicate = self._duplicate(row, values, clean=not faults)
            if duplicate:
                faults.append(duplicate)
            report.rejections.extend(faults)
            if not faults:
                parsed.append((row, values))
        people = Person.objects.select_for_update() if self.lock else Person.objects.all()
        numbers = [v["id_number"] for _r, v in parsed if v.get("id_number")]
        by_id = {p.id_number: p for p in people.filter(id_number__in=numbers)}
        names = {v["name"] for _r, v in parsed if v.get("id_number") not in by_id}
        by_key: dict[Key, list[Person]] = {}
        for person in people.filter(name__in=names).order_by("pk"):
            person = by_id.get(person.id_number or "", person)  # one instance per person
            by_key.setdefault((person.name, person.birth_date, person.phone), []).append(person)
        new: list[Person] = []
        changed: list[tuple[Person, dict[str, Any]]] = []
        for row, values in parsed:
            number = values.get("id_number")
            person = by_id.get(number) if number else None
            via_key = False
            if person is None:
                candidates = by_key.get(_key(values), [])
                if number:
                    candidates = [p for p in candidates if p.id_number is None]
                person, via_key = (candidates[0] if candidates else None), bool(candidates)
            if person is None:
                new.append(Person(**values))
                report.created += 1
                continue
            fault = self._match_fault(row, values, person)
            if fault:
                report.rejections.append(fault)
                continue
            self.people[person.pk] = row.number
            diff = {n: v for n, v in values.items() if actions.dump(getattr(person, n)) != actions.dump(v)}
            if not diff:
                report.unchanged += 1
                continue
            changed.append((person, diff))
            if via_key:
                report.merged += 1
            else:
                report.updated += 1
        return new, changed

    def _match_fault(self, row: Row, values: dict[str, Any], person: Person) -> Fault | None:
        if person.pk in self.people:
            header = self.mapping.header_of("id_number" if values.get("id_number") else "name")
            return Fault(
                row.number,
                header,
                row.cells.get(header, ""),
                _("This row matches the same person as row %(row)d.") % {"row": self.people[person.pk]},
                "duplicate_person",
            )
        if person.id_number and not values.get("id_number") and values.get("gender"):
            try:
                check_consistent_with_id(person.id_number, birth_date=None, gender=values["gender"])
            except InvalidInput as error:
                header = self.mapping.header_of("gender")
                return Fault(row.number, header, row.cells.get(header, ""), error.message, error.code)
        return None


def import_people(
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
    """Import people rows all or nothing; a dry run only previews (and keeps the batch with its rejections).

    ``mapping`` overrides the source's saved mapping for some headers; the mapping used is saved for next time.
    Every write is one bulk ``actions.bulk_save_people`` per chunk, its Change rows sourced to the batch.
    """
    with translation.override(settings.LANGUAGE_CODE):  # reasons are stored, in the UI's language
        columns = resolve_mapping(
            source, headers if headers is not None else list(rows[0].cells) if rows else [], mapping
        )
        save_mapping(source, columns)
        batch = ImportBatch.objects.create(
            source=source, file_name=file_name, sha256=sha256, by=by, total=len(rows), started_at=clock.now()
        )
        report = ImportReport(batch=batch, total=len(rows), unmapped=columns.unmapped)
        if sha256:
            earlier = ImportBatch.objects.filter(source=source, sha256=sha256, status=ImportStatus.APPLIED)
            report.same_file_as = earlier.exclude(pk=batch.pk).order_by("-started_at", "-id").first()
        run = _Run(report, columns, lock=not dry_run)
        origin = actions.Source(SourceKind.IMPORT, str(batch.pk))
        try:
            with transaction.atomic():
                if progress:
                    progress(0, len(rows))
                for start in range(0, len(rows), CHUNK):
                    new, changed = run.chunk(rows[start : start + CHUNK])
                    if not dry_run and report.ok:
                        actions.bulk_save_people(new=new, changed=changed, by=by, source=origin)
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
    batch.merged, batch.rejected = report.merged, report.rejected
    batch.finished_at = clock.now()
    batch.save()
