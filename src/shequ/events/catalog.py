"""Reads of the catalog and the responsibility list: time limits, routing, and
the documented import format (JSON or CSV, see docs/catalog.md)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Length
from django.utils.translation import gettext as _

from shequ.access.models import Unit
from shequ.core import worktime
from shequ.core.errors import InvalidInput
from shequ.geo.models import Region

from .models import Category, Duty, Level, TimeLimit, TimeUnit


@dataclass(frozen=True)
class Limit:
    amount: int
    unit: str

    def deadline_from(self, start: datetime) -> datetime:
        if self.unit == TimeUnit.HOURS:
            return worktime.add_working_hours(start, self.amount)
        return worktime.add_working_days(start, self.amount)


def time_limit_for(category: Category | None, level: Level) -> Limit:
    """The most specific category's limit for this level, else the level's default."""
    if category is not None:
        lineage = category.lineage()
        limits = {tl.category_id: tl for tl in TimeLimit.objects.filter(category__in=lineage, level=level)}
        for node in lineage:
            if node.pk in limits:
                return Limit(limits[node.pk].amount, limits[node.pk].unit)
    return Limit(level.default_amount, level.default_unit)


def route(category: Category, *, area_code: str, desk: Region, exclude: Collection[int] = ()) -> Unit | None:
    """The unit the responsibility list names for (category, area), point to point.

    Candidates are duties for the category or any ancestor, in any region that
    contains the event's area. The most specific region wins, then the most
    specific category. A desk above the community (after escalation) only
    routes to units at its own level or above. Units in ``exclude`` (those that
    returned the event as not theirs) are passed over.
    """
    lineage = category.lineage()
    depth = {c.pk: i for i, c in enumerate(lineage)}
    prefixes = [area_code[:n] for n in (6, 9, 12, 15) if n <= len(area_code)]
    duties = (
        Duty.objects.filter(category__in=lineage, region__code__in=prefixes, unit__active=True)
        .select_related("unit__region")
        .defer("unit__region__boundary")  # only its code is read, and a street's polygon is large
        .annotate(region_len=Length("region__code"))
        .order_by("-region_len")
    )
    best: tuple[int, int, Unit] | None = None
    for duty in duties:
        if duty.unit_id in exclude or not desk.code.startswith(duty.unit.region.code):
            continue
        key = (-duty.region_len, depth[duty.category_id])
        if best is None or key < best[:2]:
            best = (*key, duty.unit)
    return best[2] if best else None


def leaf_categories():
    return Category.objects.filter(active=True, children__isnull=True).select_related("parent")


# --- import -------------------------------------------------------------------------------


def load_catalog(data: dict[str, Any]) -> dict[str, int]:
    """Create or update levels, categories, time limits, units and duties from one
    document, all or nothing. Returns counts per kind. See docs/catalog.md."""
    errors = _shape_errors(data)
    if errors:  # a row without its code or name would otherwise be a KeyError half-way through
        raise InvalidInput("；".join(errors), code="catalog_invalid")
    counts = {"levels": 0, "categories": 0, "time_limits": 0, "units": 0, "duties": 0}
    with transaction.atomic():
        levels = {}
        for row in data.get("levels", []):
            if row.get("default_unit", TimeUnit.DAYS) not in TimeUnit.values:
                errors.append(
                    _("Level %(code)s: bad time unit %(unit)s") % {"code": row["code"], "unit": row["default_unit"]}
                )
                continue
            level, _created = Level.objects.update_or_create(
                code=row["code"],
                defaults={
                    "name": row["name"],
                    "rank": row.get("rank", 0),
                    "default_amount": row.get("default_amount", 5),
                    "default_unit": row.get("default_unit", TimeUnit.DAYS),
                },
            )
            levels[level.code] = level
            counts["levels"] += 1
        levels.update({lv.code: lv for lv in Level.objects.all()})
        categories: dict[str, Category] = {c.code: c for c in Category.objects.all()}
        for row in sorted(data.get("categories", []), key=lambda r: len(r["code"])):
            parent = categories.get(row.get("parent") or "")
            if row.get("parent") and parent is None:
                errors.append(_("Category %(code)s: unknown parent %(parent)s") % row)
                continue
            level_code = row.get("default_level")
            if level_code and level_code not in levels:
                errors.append(
                    _("Category %(code)s: unknown level %(level)s") % {"code": row["code"], "level": level_code}
                )
                continue
            cat, _created = Category.objects.update_or_create(
                code=row["code"],
                defaults={
                    "name": row["name"],
                    "parent": parent,
                    "description": row.get("description", ""),
                    "keywords": row.get("keywords", ""),
                    "default_level": levels.get(level_code) if level_code else None,
                    # Public only when marked so, here or on the group (never by default: see docs/catalog.md).
                    "public": bool(row.get("public", parent.public if parent else False)),
                },
            )
            categories[cat.code] = cat
            counts["categories"] += 1
            for level_code, limit in (row.get("time_limits") or {}).items():
                if level_code not in levels:
                    errors.append(
                        _("Category %(code)s: unknown level %(level)s") % {"code": row["code"], "level": level_code}
                    )
                    continue
                amount, time_unit = _parse_limit(str(limit), errors, row["code"])
                TimeLimit.objects.update_or_create(
                    category=cat, level=levels[level_code], defaults={"amount": amount, "unit": time_unit}
                )
                counts["time_limits"] += 1
        regions = {r.code: r for r in Region.objects.all()}
        units = {u.code: u for u in Unit.objects.all()}
        for row in data.get("units", []):
            region = regions.get(row.get("region", ""))
            if region is None:
                errors.append(
                    _("Unit %(code)s: unknown region %(region)s") % {"code": row["code"], "region": row.get("region")}
                )
                continue
            saved, _created = Unit.objects.update_or_create(
                code=row["code"], defaults={"name": row["name"], "region": region, "phone": row.get("phone", "")}
            )
            units[saved.code] = saved
            counts["units"] += 1
        for i, row in enumerate(data.get("duties", []), start=1):
            duty_category = categories.get(row.get("category") or "")
            duty_region = regions.get(row.get("region") or "")
            duty_unit = units.get(row.get("unit") or "")
            if not (duty_category and duty_region and duty_unit):
                errors.append(_("Duty %(n)s: unknown category, region or unit (%(row)s)") % {"n": i, "row": row})
                continue
            Duty.objects.update_or_create(
                category=duty_category, region=duty_region, defaults={"unit": duty_unit, "note": row.get("note", "")}
            )
            counts["duties"] += 1
        if errors:
            transaction.set_rollback(True)
            raise InvalidInput("；".join(errors), code="catalog_invalid")
    return counts


# The fields a row of each kind cannot do without.
_REQUIRED = {"levels": ("code", "name"), "categories": ("code", "name"), "units": ("code", "name"), "duties": ()}


def _shape_errors(data: Any) -> list[str]:
    """Problems with the document's shape: not an object, a kind that is not a list of
    objects, a row missing a required field."""
    if not isinstance(data, dict):
        return [_("The catalog must be an object with levels, categories, units and duties.")]
    errors = []
    for kind, fields in _REQUIRED.items():
        rows = data.get(kind, [])
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            errors.append(_("%(kind)s must be a list of objects") % {"kind": kind})
            continue
        for i, row in enumerate(rows, start=1):
            missing = [f for f in fields if not str(row.get(f) or "").strip()]
            if missing:
                errors.append(
                    _("%(kind)s row %(n)s: missing %(fields)s") % {"kind": kind, "n": i, "fields": ", ".join(missing)}
                )
    return errors


def _parse_limit(text: str, errors: list[str], code: str) -> tuple[int, str]:
    """``"4h"`` is four working hours, ``"3d"`` (or ``"3"``) three working days."""
    text = text.strip().lower()
    unit = TimeUnit.HOURS if text.endswith("h") else TimeUnit.DAYS
    try:
        amount = int(text.rstrip("hd"))
    except ValueError:
        amount = 0
    if amount < 1:  # zero or negative would be a deadline at (or before) the dispatch itself
        errors.append(_("Category %(code)s: bad time limit %(limit)s") % {"code": code, "limit": text})
        return 1, unit
    return amount, unit


def parse_catalog_file(name: str, content: bytes) -> dict[str, Any]:
    """JSON holds every kind; a CSV holds duties (columns category, region, unit, note)."""
    text = content.decode("utf-8-sig")
    if name.lower().endswith(".json"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise InvalidInput(_("Not valid JSON: %(error)s") % {"error": e}, code="catalog_invalid") from e
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"category", "region", "unit"} <= set(reader.fieldnames):
        raise InvalidInput(_("The CSV needs the columns category, region, unit"), code="catalog_invalid")
    return {"duties": [dict(row) for row in reader]}


def categories_matching(text: str):
    return leaf_categories().filter(Q(name__icontains=text) | Q(keywords__icontains=text) | Q(code=text))
