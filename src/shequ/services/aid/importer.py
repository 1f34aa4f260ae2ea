"""The aid ledger as a record type of the registry's ledger import (``registry.importing.kinds``): a department's
spreadsheet of aid (低保名册, 高龄津贴发放表 ...) goes through the same upload, column mapping per source, dry run
and all-or-nothing batch as people and organisations.

Each row names a person of the base by ID number and name (both must match), the aid kind (name or code), the
start (and end) date, an amount, and optionally the department (else the source's) and 家庭 for household aid. A
row matching an item already in the ledger (same recipient, kind, department and start) updates its end, amount
and note, or is unchanged: importing the same file twice changes nothing. The checks (``checks``) run on every row
against the ledger and the file's earlier rows; their findings are kept for the batch (a dry run's too) and shown
on the batch's report page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shequ.access.models import Unit, User
from shequ.access.scopes import area_prefix
from shequ.core.errors import InvalidInput
from shequ.registry.actions import Source
from shequ.registry.dictionary import Field
from shequ.registry.importing import kinds
from shequ.registry.importing.batches import ImportReport, run_batch
from shequ.registry.importing.mapping import ColumnMapping
from shequ.registry.importing.reading import Row
from shequ.registry.importing.values import Fault, RowParser
from shequ.registry.models import ImportBatch, ImportStatus, Person
from shequ.registry.queries import current_residences, people_with_id_numbers, scoped_people
from shequ.registry.validators import check_id_number

from ..models import AidItem, AidKind
from . import actions, checks

RECORD = "aid"
# The person's columns an aid ledger needs to find whom each row is for (required here, whatever the dictionary says).
PERSON_COLUMNS = {"person.id_number": "身份证号", "person.name": "姓名"}


def fields() -> dict[str, Field]:
    found = {f.name: f for f in Field.objects.filter(name__startswith="aid.")}
    for person in Field.objects.filter(name__in=list(PERSON_COLUMNS)):
        person.required = True  # on this instance only: never saved
        found[person.name] = person
    return found


def report_url(batch: ImportBatch) -> str:
    return reverse("services:aid_batch", kwargs={"pk": batch.pk})


def register() -> None:
    kinds.register(
        kinds.RecordType(RECORD, gettext_lazy("Aid items"), AidItem, fields, import_aid, report_url=report_url)
    )


Key = tuple[int | None, int | None, int, int, Any]  # person, household, kind, department, start


class _Run:
    def __init__(self, report: ImportReport, mapping: ColumnMapping, *, lock: bool) -> None:
        self.report = report
        self.mapping = mapping
        self.parser = RowParser(mapping)
        self.lock = lock
        self.source = report.batch.source
        self.by = report.batch.by
        self.checker = checks.Checker()
        self.found: list[checks.Found] = []
        self.candidates: dict[int, AidItem] = {}  # id(candidate) -> the item it became
        self.keys: dict[Key, int] = {}  # key -> first row
        self.kinds: dict[str, AidKind] = {}
        for kind in AidKind.objects.filter(active=True):
            for spelling in (kind.code, kind.name, kind.short):
                if spelling:
                    self.kinds.setdefault(spelling, kind)
        self.units: dict[str, Unit] = {}
        for unit in Unit.objects.filter(active=True):
            self.units.setdefault(unit.name, unit)
            self.units.setdefault(unit.code, unit)

    def _cell(self, row: Row, name: str) -> tuple[str, str]:
        header = self.mapping.header_of_field(name)
        return header, row.cells.get(header, "").strip() if header else ""

    def _fault(self, row: Row, name: str, reason: str, code: str) -> Fault:
        header, value = self._cell(row, name)
        return Fault(row.number, header, value, reason, code)

    def _department(self, row: Row) -> Unit | None:
        _h, named = self._cell(row, "aid.department")
        return self.units.get(named or self.source.department.strip())

    def chunk(self, rows: Sequence[Row]) -> tuple[list[AidItem], list[tuple[AidItem, dict[str, Any]]]]:
        report = self.report
        parsed: list[tuple[Row, dict[str, Any], str]] = []
        for row in rows:
            values, faults = self.parser.parse(row)
            _h, raw_id = self._cell(row, "person.id_number")
            number = ""
            if not raw_id:
                reason = _("%(field)s is required.") % {"field": PERSON_COLUMNS["person.id_number"]}
                faults.append(self._fault(row, "person.id_number", reason, "required"))
            else:
                try:
                    number = check_id_number(raw_id)
                except InvalidInput as e:
                    faults.append(self._fault(row, "person.id_number", e.message, e.code))
            kind = self.kinds.get(values.get("kind", ""))
            if "kind" in values and kind is None:
                reason = _("%(value)s is not an aid kind: use one of %(kinds)s.") % {
                    "value": values["kind"],
                    "kinds": "、".join(sorted({k.short or k.name for k in self.kinds.values()})),
                }
                faults.append(self._fault(row, "aid.kind", reason, "aid_kind_unknown"))
            if self._department(row) is None:
                reason = _("No unit is called %(name)s: name the department as the platform knows it.") % {
                    "name": self._cell(row, "aid.department")[1] or self.source.department or "—"
                }
                faults.append(self._fault(row, "aid.department", reason, "department_unknown"))
            try:
                values["amount"] = actions.parse_amount(values.get("amount"))
            except InvalidInput as e:
                faults.append(self._fault(row, "aid.amount", e.message, e.code))
            if values.get("end") and values.get("start") and values["end"] < values["start"]:
                faults.append(
                    self._fault(row, "aid.end", _("The aid cannot end before it starts."), "end_before_start")
                )
            report.rejections.extend(faults)
            if not faults:
                parsed.append((row, values, number))
        people = self._people([n for _r, _v, n in parsed])
        new: list[AidItem] = []
        changed: list[tuple[AidItem, dict[str, Any]]] = []
        pending: list[tuple[Row, dict[str, Any], Person, Any]] = []
        for row, values, number in parsed:
            person = people.get(number)
            _h, name = self._cell(row, "person.name")
            if person is None or person.name != name:
                reason = _("No person with this ID number and name in the community base (within your area).")
                report.rejections.append(self._fault(row, "person.id_number", reason, "person_unknown"))
                continue
            household = None
            if values.get("scope", "") == "household":
                household = (
                    current_residences()
                    .filter(person=person, household__isnull=False)
                    .values_list("household_id", flat=True)
                    .first()
                )
                if household is None:
                    reason = _("The base knows no household of this person: record the aid for the person.")
                    report.rejections.append(self._fault(row, "aid.scope", reason, "no_household"))
                    continue
            pending.append((row, values, person, household))
        existing = self._existing(pending)
        for row, values, person, household in pending:
            kind, department = self.kinds[values["kind"]], self._department(row)
            assert department is not None
            key: Key = (None if household else person.pk, household, kind.pk, department.pk, values["start"])
            if key in self.keys:
                reason = _("The same aid is already on row %(row)d.") % {"row": self.keys[key]}
                report.rejections.append(self._fault(row, "aid.kind", reason, "duplicate_row"))
                continue
            self.keys[key] = row.number
            wanted = {"end": values.get("end"), "amount": values.get("amount"), "note": values.get("note", "")[:200]}
            item = existing.get(key)
            if item is None:
                item = AidItem(
                    kind=kind,
                    department=department,
                    person=None if household else person,
                    household_id=household,
                    area_code=self._area(person),
                    start=values["start"],
                    **wanted,
                )
                new.append(item)
                report.created += 1
            else:
                diff = {n: v for n, v in wanted.items() if getattr(item, n) != v}
                if not diff:
                    report.unchanged += 1
                    continue
                changed.append((item, diff))
                report.updated += 1
            candidate = checks.Candidate(
                kind_id=kind.pk,
                department_id=department.pk,
                start=values["start"],
                end=wanted["end"],
                person_id=None if household else person.pk,
                household_id=household,
                pk=item.pk,
                row=row.number,
            )
            candidate.area_code = item.area_code  # type: ignore[attr-defined]
            self.candidates[id(candidate)] = item
            self.found += self.checker.check([candidate])
        return new, changed

    def _people(self, numbers: list[str]) -> dict[str, Person]:
        found = people_with_id_numbers(numbers).filter(merged_into__isnull=True)
        if self.by is not None and area_prefix(self.by) != "":
            found = found.filter(pk__in=scoped_people(self.by).values("pk"))
        return {p.id_number or "": p for p in found}

    def _area(self, person: Person) -> str:
        return actions.home_area(person, None)

    def _existing(self, pending: list[tuple[Row, dict[str, Any], Person, Any]]) -> dict[Key, AidItem]:
        if not pending:
            return {}
        people = {p.pk for _r, _v, p, h in pending if h is None}
        households = {h for _r, _v, _p, h in pending if h is not None}
        items = AidItem.objects.filter(Q(person_id__in=people) | Q(household_id__in=households))
        if self.lock:
            items = items.select_for_update()
        return {(i.person_id, i.household_id, i.kind_id, i.department_id, i.start): i for i in items}

    def save(
        self, new: list[AidItem], changed: list[tuple[AidItem, dict[str, Any]]], *, by: User | None, source: Source
    ) -> None:
        batch = int(source.ref)
        for item in new:
            item.batch_id, item.created_by = batch, by
        AidItem.objects.bulk_create(new, batch_size=1000)
        for item, diff in changed:
            for name, value in diff.items():
                setattr(item, name, value)
        if changed:
            AidItem.objects.bulk_update([i for i, _d in changed], ["end", "amount", "note"], batch_size=1000)

    def finish(self, batch: ImportBatch, status: str) -> None:
        """Keep the checks' findings for the batch: linked to the items written when it was applied."""
        applied = status == ImportStatus.APPLIED
        items = {key: item for key, item in self.candidates.items() if applied and item.pk is not None}
        actions.keep_findings(self.found, items=items, batch_id=batch.pk)


def import_aid(**kwargs: Any) -> ImportReport:
    """Import aid rows all or nothing (see ``registry.importing.batches.run_batch`` for the arguments)."""
    return run_batch(_Run, **kwargs)
