"""Where some of the demo's people work: staff for about a fifth of the organisations, chosen among the working-age
residents of OTHER grids, so that the district has people who are in an area only for work (an alert to the
organisation's grid reaches them through their employment, not their home). A few former staff have left.

One read of the working-age residents, one of the organisations, then one bulk insert of the employments with the
Change rows ``registry.actions.employ`` and ``leave_employment`` would keep (``history.LOGGED``), all with the demo's
source: a few seconds' work even for the 49,000 people of the default scale.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db.models import Q

from shequ.registry.models import Employment, Organization, Residence

from .history import create_with_history, log_ends
from .residents import add_years

SHARE = 0.2  # of the organisations with premises that get staff
STAFF = (1, 5)  # current staff of such an organisation
FORMER = 0.25  # the chance that such an organisation also had someone who has left
POSITIONS: dict[str, tuple[str, ...]] = {
    "individual": ("店员", "收银员", "厨师", "服务员", "店长"),
    "enterprise": ("职员", "经理", "技术员", "销售", "会计", "行政专员"),
    "school": ("教师", "保育员", "保安"),
    "ngo": ("社工", "项目主管"),
    "property": ("物业管理员", "保安", "保洁员", "维修工"),
    "government": ("社区工作者", "窗口工作人员"),
}
OTHER_POSITIONS = ("职员",)


def build_workplaces(*, seed: int, today: date) -> int:
    """Employments for a share of the organisations; returns how many current ones were made."""
    rng = random.Random(f"{seed}:workplaces")
    oldest, youngest = add_years(today, -60), add_years(today, -18)
    living = (
        Residence.objects.filter(Q(end__isnull=True) | Q(end__gt=today), start__lte=today)
        .filter(person__merged_into__isnull=True, person__birth_date__gte=oldest, person__birth_date__lte=youngest)
        .order_by("person_id", "id")
        .values_list("person_id", "person__birth_date", "dwelling__building__grid__code")
    )
    by_grid: dict[str, list[tuple[int, date]]] = {}
    seen: set[int] = set()
    for person_id, born, grid in living.iterator(chunk_size=5000):
        if person_id not in seen and born is not None:  # one home per person is enough to say where they live
            seen.add(person_id)
            by_grid.setdefault(grid, []).append((person_id, born))
    grids = sorted(by_grid)
    organizations = (
        Organization.objects.filter(premises__isnull=False)
        .order_by("pk")
        .values_list("pk", "type", "premises__building__grid__code")
    )
    employments: list[Employment] = []
    current = 0
    for org_id, org_type, org_grid in organizations.iterator(chunk_size=5000):
        if rng.random() >= SHARE:
            continue
        elsewhere = [g for g in grids if g != org_grid]
        if not elsewhere:
            continue
        staff: set[int] = set()
        count = rng.randint(*STAFF)
        former = rng.random() < FORMER
        for n in range(count + former):
            person_id, born = rng.choice(by_grid[rng.choice(elsewhere)])
            if person_id in staff:
                continue
            staff.add(person_id)
            adult = add_years(born, 18)
            start = max(adult, today - timedelta(days=rng.randint(30, 365 * 8)))
            end = None
            if n == count:  # the one who left: some months there, gone before today
                end = min(today - timedelta(days=rng.randint(1, 60)), start + timedelta(days=rng.randint(90, 900)))
                if end < start:
                    continue
            positions = POSITIONS.get(org_type, OTHER_POSITIONS)
            position = rng.choice(positions) if rng.random() < 0.9 else ""
            employments.append(
                Employment(person_id=person_id, organization_id=org_id, position=position, start=start, end=end)
            )
            current += end is None
    create_with_history(Employment, "employment", employments)
    log_ends([e for e in employments if e.end is not None], "employment", "end")
    return current
