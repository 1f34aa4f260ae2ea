"""Importing a people ledger: validate every row, match existing people, write all or nothing.

Matching: an exact ID number finds the person; a row without an ID number finds a person with the same name, birth
date and phone (a row with an ID number the base does not know may also fill in such a person who has none). A
record merged away is followed to the record it was merged into. The identity hook then resolves the remaining rows
without an ID number against the base as it stood when the import began (``resolution.proposals_for`` over the blocking
keys, scored by ``matching.score``): a ``same`` match fills the empty fields of that person (counted as merged, its
other values are left alone), a ``review`` match creates the person and queues the pair for staff (counted as
queued). Fuzzy duplicates inside one file are left to ``resolve_identities``. Everything else is created.

A column mapped to ``employment.organization`` (工作单位统一社会信用代码) opens an employment, from the day of the
import, at the organisation holding that credit code, for the person the row creates or matches (unless one is open
there already: a row that only adds an employment counts as updated). A code that is not valid, or that no
organisation in the base holds, rejects the row. Reading,
matching and writing go chunk by chunk inside one transaction; the first rejected row stops the writing, the
remaining rows are still checked so that every fault is listed, and then the whole transaction is rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from shequ.access.models import User
from shequ.core import clock
from shequ.core.errors import InvalidInput

from .. import actions, bulk_writes, matching, queries, resolution
from ..models import Employment, MatchCandidate, Organization, Person
from ..validators import check_consistent_with_id, check_credit_code
from .batches import ImportReport, run_batch
from .mapping import ColumnMapping
from .reading import Row
from .values import Fault, RowParser

Progress = Callable[[int, int], None]
Key = tuple[str, date | None, str]
WORKPLACE = "employment.organization"


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
        self.fuzzy_people: dict[int, Person] = {}  # people of the base proposed for this chunk's rows
        self.review: list[tuple[Person, list[resolution.Proposal]]] = []  # new people to queue once they have ids
        self.workplace_header = mapping.header_of_field(WORKPLACE)
        self.jobs: list[tuple[Person, int]] = []  # this chunk's employments to open: person, organisation id
        # Rows are resolved against the base as it stands now: its blocking keys must be current.
        resolution.refresh_keys()

    def save(
        self,
        new: list[Person],
        changed: list[tuple[Person, dict[str, Any]]],
        *,
        by: User | None,
        source: actions.Source,
    ) -> None:
        bulk_writes.bulk_save_people(new=new, changed=changed, by=by, source=source)
        if self.jobs:  # the new people have their ids now
            today = clock.now().date()
            bulk_writes.bulk_employ([(p.pk, org) for p, org in self.jobs], since=today, by=by, source=source)
            self.jobs = []
        self.queue(source)

    def _workplaces(self, checked: list[tuple[Row, dict[str, Any], list[Fault]]]) -> dict[int, int]:
        """Row number -> the organisation named by the row's workplace credit code (one query per chunk). A code
        that is not valid, or that no organisation holds, is a fault of its row."""
        header = self.workplace_header
        if not header:
            return {}
        codes: dict[int, str] = {}
        for row, _values, faults in checked:
            raw = row.cells.get(header, "").strip()
            if not raw:
                continue
            try:
                codes[row.number] = check_credit_code(raw)
            except InvalidInput as error:
                faults.append(Fault(row.number, header, raw, error.message, error.code))
        known = dict(Organization.objects.filter(credit_code__in=set(codes.values())).values_list("credit_code", "pk"))
        found: dict[int, int] = {}
        for row, _values, faults in checked:
            code = codes.get(row.number)
            if code is None:
                continue
            if code in known:
                found[row.number] = known[code]
                continue
            reason = _(
                "No organization in the community base has the credit code %(code)s: register the organization "
                "first, or leave the cell empty."
            )
            raw = row.cells[header].strip()
            faults.append(Fault(row.number, header, raw, reason % {"code": code}, "workplace_unknown"))
        return found

    def _hired(self, jobs: list[tuple[Person, int, bool]]) -> None:
        """Keep the employments this chunk opens: not those already open. A row counted unchanged whose person gets
        a new employment is an update."""
        existing = {p.pk for p, _o, _u in jobs if p.pk is not None}
        held = set(
            Employment.objects.filter(end__isnull=True, person_id__in=existing).values_list(
                "person_id", "organization_id"
            )
            if existing
            else []
        )
        for person, org, unchanged in jobs:
            if person.pk is not None and (person.pk, org) in held:
                continue
            self.jobs.append((person, org))
            if unchanged:
                self.report.unchanged -= 1
                self.report.updated += 1

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
        checked = [(row, *self.parser.parse(row)) for row in rows]
        workplaces = self._workplaces(checked)
        jobs: list[tuple[Person, int, bool]] = []  # person, organisation id, whether the row counted unchanged
        self.jobs = []
        parsed: list[tuple[Row, dict[str, Any]]] = []
        for row, values, faults in checked:
            duplicate = self._duplicate(row, values, clean=not faults)
            if duplicate:
                faults.append(duplicate)
            report.rejections.extend(faults)
            if not faults:
                parsed.append((row, values))
        people = Person.objects.select_for_update() if self.lock else Person.objects.all()
        numbers = [v["id_number"] for _r, v in parsed if v.get("id_number")]
        # By blind index (the numbers are encrypted at rest); only the people found are decrypted.
        known_ids = queries.people_with_id_numbers(numbers)
        by_id = {p.id_number: p for p in (known_ids.select_for_update() if self.lock else known_ids)}
        keys = {_key(v) for _r, v in parsed if v.get("id_number") not in by_id}
        # A superset of the people whose (name, birth date, phone) is one of these keys: all three columns
        # narrow it, so a common name (王伟) does not read thousands of people per chunk in a big base.
        born = Q(birth_date__in={b for _n, b, _p in keys if b is not None})
        if any(b is None for _n, b, _p in keys):
            born |= Q(birth_date__isnull=True)
        similar = people.filter(born, name__in={n for n, _b, _p in keys}, phone__in={p for _n, _b, p in keys})
        by_key: dict[Key, list[Person]] = {}
        for known in similar.order_by("pk") if keys else []:
            known = by_id.get(known.id_number or "", known)  # one instance per person
            by_key.setdefault((known.name, known.birth_date, known.phone), []).append(known)
        roots = self._roots([*by_id.values(), *(p for found in by_key.values() for p in found)], people)
        fuzzy = [
            (row, values) for row, values in parsed if not values.get("id_number") and not by_key.get(_key(values))
        ]
        proposals = self._proposals(fuzzy)
        exact = {row.number: self._exact(values, by_id, by_key) for row, values in parsed}
        # People matched exactly by some row of this chunk or before: a row that only resembles them (or names a
        # record merged into them) must not write to them as well.
        taken = set(self.people) | {found[0].pk for found in exact.values() if found[0] is not None}
        new: list[Person] = []
        changed: list[tuple[Person, dict[str, Any]]] = []
        for row, values in parsed:
            person, via_key = exact[row.number]
            work = workplaces.get(row.number)
            fill_only = False
            if person is not None and person.merged_into_id is not None:
                # Merged away since: the row belongs to the kept record, whose chosen values it must not undo.
                person, fill_only = roots.get(person.pk), True
                if person is not None and person.pk in taken:
                    report.unchanged += 1
                    if work is not None:
                        jobs.append((person, work, True))
                    continue
            review: list[resolution.Proposal] = []
            if person is None and row.number in proposals:
                found = proposals[row.number]
                best = found[0] if found else None
                if best and best.match.decision == matching.Decision.SAME and best.person_id not in taken:
                    person, via_key, fill_only = self.fuzzy_people[best.person_id], True, True
                else:
                    review = found
            if person is None:
                created = Person(**values)
                new.append(created)
                report.created += 1
                if work is not None:
                    jobs.append((created, work, False))
                if review:
                    self.review.append((created, review))
                    report.queued += len(review)
                continue
            fault = self._match_fault(row, values, person)
            if fault:
                report.rejections.append(fault)
                continue
            if not fill_only:
                self.people[person.pk] = row.number
            if fill_only:
                diff = {n: v for n, v in values.items() if v not in (None, "") and getattr(person, n) in (None, "")}
            else:
                diff = {n: v for n, v in values.items() if actions.dump(getattr(person, n)) != actions.dump(v)}
            if work is not None:
                jobs.append((person, work, not diff))
            if not diff:
                report.unchanged += 1
                continue
            changed.append((person, diff))
            if via_key:
                report.merged += 1
            else:
                report.updated += 1
        self._hired(jobs)
        return new, changed

    @staticmethod
    def _exact(
        values: dict[str, Any], by_id: dict[str | None, Person], by_key: dict[Key, list[Person]]
    ) -> tuple[Person | None, bool]:
        """The person a row names exactly (by ID number, or by name, birth date and phone), and whether by key."""
        number = values.get("id_number")
        person = by_id.get(number) if number else None
        if person is not None:
            return person, False
        candidates = by_key.get(_key(values), [])
        if number:
            candidates = [p for p in candidates if p.id_number is None]
        return (candidates[0], True) if candidates else (None, False)

    def _roots(self, found: list[Person], people: Any) -> dict[int, Person]:
        """Merged-away person pk -> the current record it was (transitively) merged into."""
        roots: dict[int, Person] = {}
        pending = {p.pk: p.merged_into_id for p in found if p.merged_into_id is not None}
        while pending:
            targets = {p.pk: p for p in people.filter(pk__in=set(pending.values()))}
            step: dict[int, int] = {}
            for pk, target in pending.items():
                person = targets[target]
                if person.merged_into_id is None:
                    roots[pk] = person
                else:
                    step[pk] = person.merged_into_id
            pending = step
        return roots

    def _proposals(self, rows: list[tuple[Row, dict[str, Any]]]) -> dict[int, list[resolution.Proposal]]:
        """Row number -> the people of the base it may be (best first), for rows without an ID number."""
        self.fuzzy_people = {}
        if not rows:
            return {}
        incoming = [
            matching.Candidate(
                name=v["name"],
                birth_date=v.get("birth_date"),
                gender=v.get("gender"),
                phone=v.get("phone"),
                address=v.get("hukou_address"),
            )
            for _r, v in rows
        ]
        found = resolution.proposals_for(incoming)
        wanted = {p.person_id for proposals in found for p in proposals}
        people = Person.objects.select_for_update() if self.lock else Person.objects.all()
        self.fuzzy_people = {p.pk: p for p in people.filter(pk__in=wanted)}
        return {row.number: proposals for (row, _v), proposals in zip(rows, found, strict=True)}

    def queue(self, origin: actions.Source) -> None:
        """Queue the review pairs of the people just created (they have ids now)."""
        now = clock.now()
        candidates = [
            MatchCandidate(
                first_id=min(person.pk, p.person_id),
                second_id=max(person.pk, p.person_id),
                score=p.match.score,
                reasons=resolution.reasons_of(p.match),
                source_kind=origin.kind,
                source_ref=origin.ref,
                found_at=now,
            )
            for person, proposals in self.review
            for p in proposals
        ]
        MatchCandidate.objects.bulk_create(candidates, batch_size=1000, ignore_conflicts=True)
        self.review = []

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


def import_people(**kwargs: Any) -> ImportReport:
    """Import people rows all or nothing (see ``batches.run_batch`` for the arguments)."""
    return run_batch(_Run, **kwargs)
