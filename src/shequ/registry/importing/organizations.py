"""Importing an organisation ledger (单位台账): the same contract as people (``people.py``).

Matching: an exact unified social credit code finds the organisation; a row without one finds an organisation with
the same name at the same address (a row with a code the base does not know may also fill in such an organisation
that has none: that counts as merged). Everything else is created. The premises (经营场所) are the dwelling whose
address the row's 经营场所 or 地址 cell names, when the base knows that dwelling; otherwise they stay as they are.
Every row is checked, every fault listed, and the batch is written all or nothing in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.translation import gettext as _

from shequ.access.models import User
from shequ.geo.models import Building, Dwelling

from .. import actions, bulk_writes
from ..matching import normalize_address
from ..models import Organization
from .batches import ImportReport, run_batch
from .mapping import ColumnMapping
from .reading import Row
from .values import Fault, RowParser

Key = tuple[str, str]  # name, normalised address


def _key(values: dict[str, Any]) -> Key:
    return values.get("name", ""), normalize_address(values.get("address", ""))


def _stored(org: Organization, name: str) -> Any:
    """The value as compared and logged: the dwelling id for the premises, not the dwelling."""
    return org.premises_id if name == "premises" else getattr(org, name)


class Premises:
    """Finds the dwelling an address names: the longest known building address it starts with, then the room."""

    def __init__(self) -> None:
        self._buildings: dict[str, list[int]] | None = None
        self._dwellings: dict[int, dict[str, int | None]] = {}

    @staticmethod
    def _full(text: str) -> str:
        text = text.strip()
        return normalize_address(text if text.endswith("室") else f"{text}室")

    def _load_buildings(self) -> dict[str, list[int]]:
        if self._buildings is None:
            self._buildings = {}
            for pk, address in Building.objects.values_list("pk", "address").iterator(chunk_size=5000):
                self._buildings.setdefault(normalize_address(address), []).append(pk)
        return self._buildings

    def _building_ids(self, full: str) -> list[int]:
        buildings = self._load_buildings()
        for end in range(len(full), 0, -1):
            found = buildings.get(full[:end].strip())
            if found:
                return found
        return []

    def resolve(self, texts: Iterable[str]) -> dict[str, int | None]:
        """Each address text -> the one dwelling it names, or None (unknown or ambiguous)."""
        wanted = {text: self._full(text) for text in set(texts) if text.strip()}
        if not wanted:
            return {}
        building_ids = {text: self._building_ids(full) for text, full in wanted.items()}
        missing = {b for ids in building_ids.values() for b in ids} - set(self._dwellings)
        if missing:
            for b in missing:
                self._dwellings[b] = {}
            for dwelling in Dwelling.objects.filter(building_id__in=missing).select_related("building"):
                rooms = self._dwellings[dwelling.building_id]
                key = normalize_address(str(dwelling))
                rooms[key] = None if key in rooms else dwelling.pk  # two dwellings, one address: don't guess
        found: dict[str, int | None] = {}
        for text, full in wanted.items():
            matches = {self._dwellings[b].get(full) for b in building_ids[text]} - {None}
            found[text] = matches.pop() if len(matches) == 1 else None
        return found


class _Run:
    """State of one organisation import: rows seen so far (within-file duplicates) and the premises lookup."""

    def __init__(self, report: ImportReport, mapping: ColumnMapping, *, lock: bool) -> None:
        self.report = report
        self.mapping = mapping
        self.parser = RowParser(mapping)
        self.lock = lock
        self.premises = Premises()
        self.codes: dict[str, int] = {}  # credit code -> first row
        self.keys_any: dict[Key, int] = {}
        self.keys_without_code: dict[Key, int] = {}
        self.organizations: dict[int, int] = {}  # existing organisation pk -> the row matched to it

    def save(
        self,
        new: list[Organization],
        changed: list[tuple[Organization, dict[str, Any]]],
        *,
        by: User | None,
        source: actions.Source,
    ) -> None:
        bulk_writes.bulk_save_organizations(new=new, changed=changed, by=by, source=source)

    def _fault(self, row: Row, attribute: str, reason: str, code: str) -> Fault:
        header = self.mapping.header_of(attribute)
        return Fault(row.number, header, row.cells.get(header, ""), reason, code)

    def _duplicate(self, row: Row, values: dict[str, Any], *, clean: bool) -> Fault | None:
        code = values.get("credit_code")
        key = _key(values)
        if code and code in self.codes:
            earlier = self.codes[code]
            return self._fault(
                row,
                "credit_code",
                _("The same unified social credit code is already on row %(row)d.") % {"row": earlier},
                "duplicate_credit_code",
            )
        if not clean:
            if code:
                self.codes[code] = row.number
            return None
        if not code and key in self.keys_any:
            reason = _("An organization with the same name and address is already on row %(row)d.")
            return self._fault(row, "name", reason % {"row": self.keys_any[key]}, "duplicate_row")
        if code and key in self.keys_without_code:
            reason = _("Row %(row)d, without a credit code, may be the same organization.")
            return self._fault(row, "credit_code", reason % {"row": self.keys_without_code[key]}, "duplicate_row")
        if code:
            self.codes[code] = row.number
        else:
            self.keys_without_code.setdefault(key, row.number)
        self.keys_any.setdefault(key, row.number)
        return None

    def _place(self, parsed: list[tuple[Row, dict[str, Any]]]) -> None:
        """Premises cell (or, without one, the address) -> a dwelling id; an unknown place keeps the text only."""
        texts = [v.get("premises") or v.get("address") or "" for _r, v in parsed]
        found = self.premises.resolve(texts)
        for (_row, values), text in zip(parsed, texts, strict=True):
            named = values.pop("premises", "")
            if named and not values.get("address"):
                values["address"] = named
            dwelling = found.get(text)
            if dwelling is not None:
                values["premises"] = dwelling

    def chunk(self, rows: Sequence[Row]) -> tuple[list[Organization], list[tuple[Organization, dict[str, Any]]]]:
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
        self._place(parsed)
        organizations = Organization.objects.select_for_update() if self.lock else Organization.objects.all()
        codes = [v["credit_code"] for _r, v in parsed if v.get("credit_code")]
        by_code = {o.credit_code: o for o in organizations.filter(credit_code__in=codes)}
        names = {v["name"] for _r, v in parsed if v.get("credit_code") not in by_code}
        by_key: dict[Key, list[Organization]] = {}
        for found in organizations.filter(name__in=names).order_by("pk"):
            found = by_code.get(found.credit_code or "", found)  # one instance per organisation
            by_key.setdefault((found.name, normalize_address(found.address)), []).append(found)
        new: list[Organization] = []
        changed: list[tuple[Organization, dict[str, Any]]] = []
        for row, values in parsed:
            code = values.get("credit_code")
            org: Organization | None = by_code.get(code) if code else None
            via_key = False
            if org is None:
                candidates = by_key.get(_key(values), [])
                if code:
                    candidates = [o for o in candidates if o.credit_code is None]
                org, via_key = (candidates[0] if candidates else None), bool(candidates)
            if org is None:
                premises = values.pop("premises", None)
                new.append(Organization(**values, premises_id=premises))
                report.created += 1
                continue
            if org.pk in self.organizations:
                reason = _("This row matches the same organization as row %(row)d.")
                attribute = "credit_code" if code else "name"
                report.rejections.append(
                    self._fault(row, attribute, reason % {"row": self.organizations[org.pk]}, "duplicate_organization")
                )
                continue
            self.organizations[org.pk] = row.number
            diff = {n: v for n, v in values.items() if actions.dump(_stored(org, n)) != actions.dump(v)}
            if not diff:
                report.unchanged += 1
                continue
            changed.append((org, diff))
            if via_key:
                report.merged += 1
            else:
                report.updated += 1
        return new, changed


def import_organizations(**kwargs: Any) -> ImportReport:
    """Import organisation rows all or nothing (see ``batches.run_batch`` for the arguments)."""
    return run_batch(_Run, **kwargs)
