"""The aid ledger's checks, run on every entry and every import row (dry run included):

- overlap: the same person or household (a person counts with their current household, a household with its
  current members) receives, over overlapping days, aid of kinds that exclude each other (``AidKind.excludes``:
  低保 and 特困供养, or the same allowance twice), from the ledger or from an earlier row of the same file;
- dead: aid running past the day the base records the person's death (the tag 已故, from its ``since``);
- moved away: aid running past the day the person (or the whole household) left their last home in the district.

People on the needs list who receive nothing are not a check of an item: ``queries.unhelped`` reads them live.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Max, Q
from django.utils.translation import gettext as _

from shequ.registry.models import PersonTag, Residence
from shequ.registry.queries import current_residences

from ..models import AidItem, AidKind, FindingKind

DEATH_TAG = "deceased"


@dataclass
class Candidate:
    """An aid item as checked: a saved one (``pk``) or one about to be (an import row, ``row``)."""

    kind_id: int
    department_id: int
    start: date
    end: date | None
    person_id: int | None = None
    household_id: int | None = None
    pk: int | None = None
    row: int | None = None


@dataclass(frozen=True)
class Found:
    kind: str
    candidate: Candidate
    detail: str
    person_id: int
    other: int | None = None  # the ledger's item it conflicts with
    other_row: int | None = None  # or the earlier row of the same file


def _overlap(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    return a_start <= (b_end or date.max) and b_start <= (a_end or date.max)


def _exclusions() -> dict[int, set[int]]:
    pairs = AidKind.excludes.through.objects.values_list("from_aidkind_id", "to_aidkind_id")
    found: dict[int, set[int]] = {}
    for a, b in pairs:
        found.setdefault(a, set()).add(b)
        found.setdefault(b, set()).add(a)
    return found


class Checker:
    """Checks candidates against the ledger and against each other, reading what it needs once per call."""

    def __init__(self) -> None:
        self.excludes = _exclusions()
        self.names = dict(AidKind.objects.values_list("pk", "name"))
        self.seen: list[Candidate] = []  # earlier candidates of the same run (an import's earlier rows)

    def _links(self, candidates: list[Candidate]) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
        """person -> current households, household -> current members, for the candidates' recipients."""
        people = {c.person_id for c in candidates if c.person_id}
        households = {c.household_id for c in candidates if c.household_id}
        rows = current_residences().filter(
            Q(person_id__in=people) | Q(household_id__in=households), household__isnull=False
        )
        homes: dict[int, set[int]] = {}
        members: dict[int, set[int]] = {}
        for person_id, household_id in rows.values_list("person_id", "household_id"):
            homes.setdefault(person_id, set()).add(household_id)
            members.setdefault(household_id, set()).add(person_id)
        return homes, members

    def _recipients(self, c: Candidate, homes: dict, members: dict) -> tuple[set[int], set[int]]:
        if c.person_id:
            return {c.person_id}, homes.get(c.person_id, set())
        assert c.household_id is not None
        return members.get(c.household_id, set()), {c.household_id}

    def check(self, candidates: Iterable[Candidate]) -> list[Found]:
        batch = list(candidates)
        if not batch:
            return []
        homes, members = self._links(batch + self.seen)
        found: list[Found] = []
        subjects = [self._recipients(c, homes, members) for c in batch]
        people = {p for ps, _h in subjects for p in ps}
        households = {h for _p, hs in subjects for h in hs}
        kinds = {k for c in batch for k in self.excludes.get(c.kind_id, set())}
        ledger = list(
            AidItem.objects.filter(Q(person_id__in=people) | Q(household_id__in=households), kind_id__in=kinds)
            .select_related("department", "kind")
            .order_by("start", "id")
        )
        for c, (ps, hs) in zip(batch, subjects, strict=True):
            person = c.person_id or next(iter(sorted(ps)), None)
            if person is None:
                continue
            banned = self.excludes.get(c.kind_id, set())
            for item in ledger:
                if item.pk == c.pk or item.kind_id not in banned:
                    continue
                if not (item.person_id in ps or item.household_id in hs):
                    continue
                if _overlap(c.start, c.end, item.start, item.end):
                    found.append(Found(FindingKind.OVERLAP, c, self._overlap_text(item), person, other=item.pk))
            for earlier in self.seen:
                if earlier.kind_id not in banned:
                    continue
                eps, ehs = self._recipients(earlier, homes, members)
                if (eps & ps or ehs & hs) and _overlap(c.start, c.end, earlier.start, earlier.end):
                    text = _("Overlaps row %(row)s of this file (%(kind)s from %(start)s).") % {
                        "row": earlier.row,
                        "kind": self.names.get(earlier.kind_id, ""),
                        "start": earlier.start.isoformat(),
                    }
                    found.append(Found(FindingKind.OVERLAP, c, text, person, other_row=earlier.row))
        found += self._gone(batch, subjects)
        self.seen += batch
        return found

    def _overlap_text(self, item: AidItem) -> str:
        # The other department's aid is named by kind and period, never by amount.
        return _("Overlaps %(kind)s from %(department)s (from %(start)s%(end)s).") % {
            "kind": item.kind.name,
            "department": item.department.name,
            "start": item.start.isoformat(),
            "end": _(" to %(end)s") % {"end": item.end.isoformat()} if item.end else "",
        }

    def _gone(self, batch: list[Candidate], subjects: list[tuple[set[int], set[int]]]) -> list[Found]:
        people = {c.person_id for c in batch if c.person_id}
        died = dict(
            PersonTag.objects.filter(person_id__in=people, tag__code=DEATH_TAG, until__isnull=True).values_list(
                "person_id", "since"
            )
        )
        living = set(current_residences().filter(person_id__in=people).values_list("person_id", flat=True))
        left = dict(
            Residence.objects.filter(person_id__in=people - living, end__isnull=False)
            .values("person_id")
            .annotate(last=Max("end"))
            .values_list("person_id", "last")
        )
        households = {c.household_id for c in batch if c.household_id and not subjects[batch.index(c)][0]}
        gone_households = dict(
            Residence.objects.filter(household_id__in=households, end__isnull=False)
            .values("household_id")
            .annotate(last=Max("end"))
            .values_list("household_id", "last")
        )
        found: list[Found] = []
        for c in batch:
            if c.person_id in died and (c.end is None or c.end >= died[c.person_id]):
                text = _("The base records this person as dead since %(day)s.") % {"day": died[c.person_id]}
                found.append(Found(FindingKind.DEAD, c, text, c.person_id))
            elif c.person_id in left and (c.end is None or c.end > left[c.person_id]):
                text = _("This person moved away on %(day)s and lives nowhere in the district now.") % {
                    "day": left[c.person_id]
                }
                found.append(Found(FindingKind.MOVED_AWAY, c, text, c.person_id))
            elif c.household_id in gone_households and (c.end is None or c.end > gone_households[c.household_id]):
                head = Residence.objects.filter(household_id=c.household_id).values_list("person_id", flat=True).first()
                if head is not None:
                    text = _("This household moved away on %(day)s.") % {"day": gone_households[c.household_id]}
                    found.append(Found(FindingKind.MOVED_AWAY, c, text, head))
        return found
