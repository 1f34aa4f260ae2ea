"""Every indicator, defined once: the measures counted from the timelines and the formulas built on them.

A **measure** is an additive count that ``derive.py`` takes from one event's timeline (or from a collection task,
a care visit or a spot check), dated by the timeline row it comes from (``basis``). Facts and rollups hold one
column per measure, so any area, unit, grid worker and period sums them the same way.

An **indicator** is what pages show: a count (one measure) or a ratio of two measures over the same basis. Its
figure links to the facts behind its numerator (and denominator): the events a user can check one by one.
``docs/indicators.md`` is written from this module (``manage.py indicator_docs``); a test keeps them equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Basis(StrEnum):
    """Which day a measure belongs to."""

    ROW = "row"  # the day of the timeline row that makes it (flow)
    REPORT = "report"  # the day the event was reported (cohort: changes as the event goes on)
    ACCEPT = "accept"  # the day the event was accepted (cohort)
    CYCLE = "cycle"  # the day a handling cycle started (dispatch, failed verification, reopen)


@dataclass(frozen=True)
class Measure:
    code: str
    name: str | Promise
    rule: str  # how it is counted, in the words of the timeline (English: docs and code)
    basis: Basis = Basis.ROW
    events: bool = True  # counted from events (else from other work: collection, visits, spot checks)
    records: str = ""  # the page listing the records behind it, when they are not events or work facts


MEASURES: tuple[Measure, ...] = (
    Measure("reported", _("Reported"), "1 for the `report` row"),
    Measure(
        "self_found",
        _("Self-found"),
        "1 for the `report` row of an event a grid worker reported on the grid-worker channel",
    ),
    Measure("accepted", _("Accepted"), "1 for the first `accept` row", Basis.ACCEPT),
    Measure("rejected", _("Rejected"), "1 for the row that made the event rejected (`reject`, a merge)"),
    Measure(
        "response_base",
        _("To respond"),
        "1 per reported event that is not rejected now",
        Basis.REPORT,
    ),
    Measure(
        "responded",
        _("Responded in time"),
        "1 if the first `accept` came within the level's response limit (working hours after the report)",
        Basis.REPORT,
    ),
    Measure("accepted_closed", _("Accepted and closed"), "1 per accepted event that is closed now", Basis.ACCEPT),
    Measure("dispatched", _("Dispatched"), "1 per `dispatch` row (to a unit)"),
    Measure(
        "cycles",
        _("Handling cycles"),
        "1 per handling cycle: a `dispatch`, `verify_fail`, `reopen` or `inspection_reopen` row starts one, the "
        "next `handle`, `return` or `escalate` row ends it",
        Basis.CYCLE,
    ),
    Measure(
        "cycles_overdue",
        _("Overdue cycles"),
        "1 per handling cycle with an `overdue` row (the deadline sweep's mark) before it ended",
        Basis.CYCLE,
    ),
    Measure("handled", _("Handled"), "1 per `handle` row"),
    Measure(
        "handled_on_time",
        _("Handled on time"),
        "1 per `handle` row with no `overdue` row in its cycle before it",
    ),
    Measure("verified", _("Verified"), "1 per `verify_pass` or `verify_fail` row"),
    Measure("verify_failed", _("Failed verification"), "1 per `verify_fail` row (rework)"),
    Measure("closed", _("Closed"), "1 per `verify_pass` row"),
    Measure(
        "close_minutes",
        _("Working minutes to close"),
        "working minutes from the report to the `verify_pass` row (Chinese working time, holidays off)",
    ),
    Measure("rated", _("Rated"), "1 per `rate` row"),
    Measure("rated_good", _("Rated 4-5"), "1 per `rate` row with 4 or 5 stars"),
    Measure("reopened", _("Reopened"), "1 per `reopen` or `inspection_reopen` row"),
    Measure(
        "verifications_done",
        _("Verifications done"),
        "1 per `verify_pass` or `verify_fail` row, for the person who verified",
    ),
    Measure(
        "items_done",
        _("Collection items done"),
        "1 per record a grid worker confirmed or updated in a collection task",
        events=False,
    ),
    Measure(
        "corrections",
        _("Data corrected"),
        "1 per changed field (registry Change row, source collection) by the grid worker",
        events=False,
    ),
    Measure(
        "visits",
        _("Visits made"),
        "1 per care visit a grid worker recorded (services' `CareVisit`), for that worker, in the grid of the visited "
        "person on the needs list; a visit whose position fell outside the dwelling's grid counts too (its list "
        "shows the location check)",
        events=False,
        records="assessment:visits",
    ),
    Measure(
        "spot_checked",
        _("Spot-checked"),
        "1 per spot-check item checked on site (a closed event: its unit and verifier; a record: its collector)",
        events=False,
    ),
    Measure("spot_failed", _("Spot checks failed"), "1 per spot-check item found wrong", events=False),
)
MEASURE_CODES: tuple[str, ...] = tuple(m.code for m in MEASURES)
MEASURE = {m.code: m for m in MEASURES}


class Kind(StrEnum):
    COUNT = "count"
    RATE = "rate"  # numerator / denominator, shown as a percentage
    AVERAGE = "average"  # numerator / denominator in some unit (hours)


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str | Promise
    kind: Kind
    numerator: str
    denominator: str = ""
    higher_is_better: bool = True
    scale: float = 1.0  # numerator / denominator * scale (minutes -> hours)
    for_people: bool = False  # a grid worker's own work
    in_areas: bool = False  # a people's indicator also shown for areas (summed over their grid workers)

    def formula(self) -> str:
        if self.kind == Kind.COUNT:
            return f"Σ {self.numerator}"
        scaled = f" / {round(1 / self.scale)}" if self.scale != 1 else ""
        return f"Σ {self.numerator}{scaled} / Σ {self.denominator}"

    def shown_in(self, scope_kind: str) -> bool:
        """Whether a scope of this kind ("person", "area", "unit") shows it: a unit sees no work besides events."""
        if scope_kind == "person" or not self.for_people:
            return True
        return self.in_areas and (scope_kind == "area" or MEASURE[self.numerator].events)

    def shown_for(self) -> str:
        if not self.for_people:
            return "every scope"
        names = {"person": "a grid worker", "area": "areas", "unit": "units"}
        return ", ".join(name for kind, name in names.items() if self.shown_in(kind))

    def value(self, sums: dict[str, int]) -> float | None:
        """The figure from summed measures; None when the denominator is 0 (nothing to rate)."""
        top = sums.get(self.numerator, 0)
        if self.kind == Kind.COUNT:
            return float(top)
        bottom = sums.get(self.denominator, 0)
        return None if not bottom else top * self.scale / bottom


INDICATORS: tuple[Indicator, ...] = (
    Indicator("reported", _("Events reported"), Kind.COUNT, "reported"),
    Indicator("accepted", _("Events accepted"), Kind.COUNT, "accepted"),
    Indicator("response_rate", _("Response rate"), Kind.RATE, "responded", "response_base"),
    Indicator("on_time_rate", _("On-time handling rate"), Kind.RATE, "handled_on_time", "handled"),
    Indicator("overdue_rate", _("Overdue rate"), Kind.RATE, "cycles_overdue", "cycles", higher_is_better=False),
    Indicator("closure_rate", _("Closure rate"), Kind.RATE, "accepted_closed", "accepted"),
    Indicator("rework_rate", _("Rework rate"), Kind.RATE, "verify_failed", "verified", higher_is_better=False),
    Indicator("satisfaction_rate", _("Satisfaction rate"), Kind.RATE, "rated_good", "rated"),
    Indicator(
        "close_hours",
        _("Average working hours to close"),
        Kind.AVERAGE,
        "close_minutes",
        "closed",
        higher_is_better=False,
        scale=1 / 60,
    ),
    Indicator("closed", _("Events closed"), Kind.COUNT, "closed"),
    Indicator("reopened", _("Reopened events"), Kind.COUNT, "reopened", higher_is_better=False),
    Indicator("self_found", _("Self-found events"), Kind.COUNT, "self_found", for_people=True, in_areas=True),
    Indicator("verifications_done", _("Verifications done"), Kind.COUNT, "verifications_done", for_people=True),
    Indicator("items_done", _("Collection items done"), Kind.COUNT, "items_done", for_people=True),
    Indicator("corrections", _("Data corrected"), Kind.COUNT, "corrections", for_people=True),
    Indicator("visits", _("Visits made"), Kind.COUNT, "visits", for_people=True, in_areas=True),
    Indicator(
        "spot_fail_rate",
        _("Spot-check failure rate"),
        Kind.RATE,
        "spot_failed",
        "spot_checked",
        higher_is_better=False,
    ),
)
INDICATOR = {i.code: i for i in INDICATORS}
# The three published rates of the 12345 hotline, shown against their targets on every dashboard.
THREE_RATES = ("response_rate", "closure_rate", "satisfaction_rate")


def values(sums: dict[str, int]) -> dict[str, float | None]:
    return {i.code: i.value(sums) for i in INDICATORS}


def docs_table() -> str:
    """The Markdown table of indicators that docs/indicators.md holds (between its markers)."""
    from django.utils import translation

    with translation.override("zh-hans"):
        lines = ["| code | 指标 | formula | better | shown for |", "|---|---|---|---|---|"]
        for i in INDICATORS:
            better = "higher" if i.higher_is_better else "lower"
            lines.append(f"| `{i.code}` | {i.name} | `{i.formula()}` | {better} | {i.shown_for()} |")
        lines += ["", "| measure | 度量 | counted | dated by |", "|---|---|---|---|"]
        for m in MEASURES:
            lines.append(f"| `{m.code}` | {m.name} | {m.rule} | {m.basis.value} |")
    return "\n".join(lines)
