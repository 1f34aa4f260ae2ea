"""Every write of the aid ledger: an entry, its end, a finding resolved. The checks run on every entry (and every
import row: ``importer``), their findings kept as ``AidFinding`` rows.

Who records: a department for itself (a unit handler of that unit), or a desk for the people of its area (choosing
the department). Each item is tied to a person of the base, or to the household they live in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from shequ import audit
from shequ.access.models import Unit, User
from shequ.access.scopes import covers, manages_area
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition, PermissionDenied
from shequ.registry.models import Household, Person
from shequ.registry.queries import current_residences

from ..models import AidFinding, AidItem, AidKind
from . import checks, queries

AMOUNT_MAX = Decimal("10000000")


def parse_amount(text: str | Decimal | int | None) -> Decimal | None:
    if text is None or str(text).strip() == "":
        return None
    try:
        amount = Decimal(str(text).strip().replace(",", "").removesuffix("元")).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("Enter the amount in yuan, such as 800 or 1200.50."), code="bad_amount") from None
    if amount < 0 or amount >= AMOUNT_MAX:
        raise InvalidInput(_("Enter the amount in yuan, such as 800 or 1200.50."), code="bad_amount")
    return amount


def home_area(person: Person | None, household: Household | None) -> str:
    """The grid code of the recipient's home (the household's dwelling), or ""."""
    if household is not None:
        return household.dwelling.building.grid.code
    assert person is not None
    code = (
        current_residences()
        .filter(person=person)
        .order_by("start", "id")
        .values_list("dwelling__building__grid__code", flat=True)
        .first()
    )
    return code or ""


def keep_findings(
    found: list[checks.Found], *, items: dict[int, AidItem], batch_id: int | None = None
) -> list[AidFinding]:
    """The findings as rows (``items``: candidate id() -> saved item; a dry run's rows have none)."""
    rows = []
    for f in found:
        c = f.candidate
        item = items.get(id(c))
        rows.append(
            AidFinding(
                kind=f.kind,
                aid=item,
                other_id=f.other,
                person_id=f.person_id,
                department_id=c.department_id,
                area_code=item.area_code if item else getattr(c, "area_code", ""),
                batch_id=batch_id,
                row=c.row,
                detail=f.detail[:300],
                found_at=clock.now(),
            )
        )
    return AidFinding.objects.bulk_create(rows)


@dataclass
class Recorded:
    item: AidItem
    findings: list[AidFinding] = field(default_factory=list)


@transaction.atomic
def record_aid(
    *,
    by: User,
    kind: AidKind,
    department: Unit,
    person: Person,
    start: date,
    end: date | None = None,
    amount: Decimal | str | None = None,
    household: bool = False,
    note: str = "",
) -> Recorded:
    """One aid item for a person (or, with ``household``, the household they live in), then the checks; the
    findings are kept and returned (an entry is never refused for a finding: staff decide, and resolve it)."""
    own = queries.department_of(by)
    if own is not None and own.pk != department.pk:
        raise PermissionDenied(_("A department records only its own aid."), code="not_own_department")
    area = home_area(person, None)
    if own is None and not (manages_area(by) and area and covers(by, area)):
        raise PermissionDenied(_("You may not record aid for this person."), code="not_in_area")
    if not kind.active:
        raise InvalidInput(_("This aid kind is no longer used."), code="kind_inactive", field="kind")
    if end is not None and end < start:
        raise InvalidInput(_("The aid cannot end before it starts."), code="end_before_start", field="end")
    value = parse_amount(amount)
    target: Household | None = None
    if household:
        home = (
            current_residences()
            .filter(person=person, household__isnull=False)
            .select_related("household__dwelling__building__grid")
        )
        found = home.first()
        if found is None or found.household is None:
            raise InvalidInput(
                _("The base knows no household of this person: record the aid for the person."),
                code="no_household",
                field="household",
            )
        target = found.household
    item = AidItem.objects.create(
        kind=kind,
        department=department,
        person=None if target else person,
        household=target,
        area_code=home_area(person, target),
        amount=value,
        start=start,
        end=end,
        note=(note or "").strip()[:200],
        created_by=by,
        created_at=clock.now(),
    )
    audit.record("write", actor=by, target=item, detail={"action": "aid.record", "kind": kind.code})
    candidate = checks.Candidate(
        kind_id=kind.pk,
        department_id=department.pk,
        start=start,
        end=end,
        person_id=item.person_id,
        household_id=item.household_id,
        pk=item.pk,
    )
    findings = checks.Checker().check([candidate])
    return Recorded(item, keep_findings(findings, items={id(candidate): item}))


@transaction.atomic
def end_aid(item: AidItem, *, by: User, end: date) -> AidItem:
    """Stop an aid item on ``end`` (history stays)."""
    if not queries.items_for(by).filter(pk=item.pk).exists() or (
        queries.department_of(by) is None and not manages_area(by)
    ):
        raise PermissionDenied(_("You may not change this aid."), code="not_own_department")
    item = AidItem.objects.select_for_update().get(pk=item.pk)
    if item.end is not None and item.end <= clock.now().date():
        raise InvalidTransition(_("This aid has already ended."), code="aid_ended")
    if end < item.start:
        raise InvalidInput(_("The aid cannot end before it starts."), code="end_before_start", field="end")
    item.end = end
    item.save(update_fields=["end"])
    audit.record("write", actor=by, target=item, detail={"action": "aid.end", "end": end.isoformat()})
    return item


@transaction.atomic
def resolve_finding(finding: AidFinding, *, by: User, resolution: str) -> AidFinding:
    """Say what was done about a finding (the aid stopped, or why it is right after all)."""
    resolution = (resolution or "").strip()
    if not resolution:
        raise InvalidInput(_("Say what was done about it."), code="resolution_required", field="resolution")
    if not queries.findings_for(by).filter(pk=finding.pk).exists():
        raise PermissionDenied(_("You may not resolve this finding."), code="not_yours")
    finding = AidFinding.objects.select_for_update().get(pk=finding.pk)
    if finding.resolved_at is not None:
        raise InvalidTransition(_("This finding is resolved already."), code="resolved")
    finding.resolved_at, finding.resolved_by, finding.resolution = clock.now(), by, resolution[:300]
    finding.save(update_fields=["resolved_at", "resolved_by", "resolution"])
    audit.record("write", actor=by, target=finding, detail={"action": "aid.resolve"})
    return finding
