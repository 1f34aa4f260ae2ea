"""Grids in and out as GeoJSON FeatureCollections (RFC 7946, WGS-84 degrees).

Export writes one Feature per grid with properties ``code``, ``name``, ``level``,
``parent_code`` and ``community``. Import creates or updates grids by code, all or
nothing, after checking the whole file and reporting every problem at once:

- ``bad_json``, ``bad_collection``, ``bad_feature``: the file's structure;
- ``bad_code``, ``duplicate_code``, ``code_mismatch``, ``bad_level``, ``bad_name``, ``out_of_area``;
- ``unknown_community``: the grid's community (its first 12 digits) does not exist;
- ``invalid_boundary``: not a valid Polygon/MultiPolygon, with GEOS's reason and location;
- ``outside_community``: more than ``OUTSIDE_TOLERANCE_M2`` of the grid lies outside its community;
- ``overlap``: two grids (both imported, or one imported and one existing, any community)
  share more than ``OVERLAP_TOLERANCE_M2``;
- ``gap``: a piece of a touched community larger than ``GAP_TOLERANCE_M2`` is covered by no grid
  (an invalid imported boundary counts as covering its convex hull, so the gap check does not
  repeat that problem around it; one that cannot be read at all skips its community's check).

A feature with ``"geometry": null`` stores a grid without a boundary (as export writes one).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import shapely
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from shequ.core import clock
from shequ.core.errors import InvalidInput

from . import index, shapes
from .actions import center_of, check_code, check_name
from .models import CODE_LENGTH, Region, RegionLevel

# --- export -----------------------------------------------------------------------------------


def export_grids(*, within: str = "") -> dict:
    """Every grid whose code starts with ``within`` (a street's or community's code; "" for all)."""
    grids = Region.objects.filter(level=RegionLevel.GRID, code__startswith=within).select_related("parent")
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": grid.code,
                "geometry": grid.boundary,
                "properties": {
                    "code": grid.code,
                    "name": grid.name,
                    "level": grid.level,
                    "parent_code": grid.parent.code if grid.parent else grid.code[: CODE_LENGTH[RegionLevel.COMMUNITY]],
                    "community": grid.parent.name if grid.parent else "",
                },
            }
            for grid in grids.order_by("code")
        ],
    }


def dumps(collection: dict) -> str:
    return json.dumps(collection, ensure_ascii=False, indent=1)


# --- import report ------------------------------------------------------------------------------


PROBLEM_LABELS = {
    "bad_json": gettext_lazy("Not JSON"),
    "bad_collection": gettext_lazy("Not a FeatureCollection"),
    "bad_feature": gettext_lazy("Bad feature"),
    "bad_code": gettext_lazy("Bad code"),
    "duplicate_code": gettext_lazy("Duplicate code"),
    "code_mismatch": gettext_lazy("Code mismatch"),
    "bad_parent": gettext_lazy("Code mismatch"),
    "bad_level": gettext_lazy("Bad level"),
    "bad_name": gettext_lazy("Bad name"),
    "out_of_area": gettext_lazy("Outside your area"),
    "unknown_community": gettext_lazy("Unknown community"),
    "invalid_boundary": gettext_lazy("Invalid polygon"),
    "outside_community": gettext_lazy("Outside its community"),
    "overlap": gettext_lazy("Overlap"),
    "gap": gettext_lazy("Gap"),
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the file; ``index`` is the feature's 0-based position, None for a community."""

    code: str
    message: str
    index: int | None = None
    region_code: str = ""

    @property
    def number(self) -> int | None:
        """The feature's 1-based number, as a person counts."""
        return None if self.index is None else self.index + 1

    @property
    def label(self) -> str:
        return str(PROBLEM_LABELS.get(self.code, self.code))


@dataclass(slots=True)
class ImportReport:
    dry_run: bool
    problems: list[Problem] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, code: str, message: str, *, index: int | None = None, region_code: str = "") -> None:
        self.problems.append(Problem(code, message, index, region_code))


@dataclass(slots=True)
class _Entry:
    index: int
    code: str
    name: str
    community: Region
    geom: BaseGeometry | None
    boundary: dict | None
    existing: Region | None
    ok: bool  # False: it still takes part in the overlap and gap checks, but will not be written
    cover: BaseGeometry | None  # what it covers for the gap check: geom, or an invalid boundary's hull


# --- import -------------------------------------------------------------------------------------


def import_grids(source: bytes | str | dict, *, dry_run: bool = False, within: str = "") -> ImportReport:
    """Create or update grids from a FeatureCollection; nothing is written if any problem is found.

    ``within`` limits the import to codes under that prefix (the importer's area).
    """
    report = ImportReport(dry_run=dry_run)
    features = _features(source, report)
    if features is None:
        return report
    with transaction.atomic():
        entries, bad_geometry_in = _read_features(features, report, within)
        if entries:
            _check_geometry(entries, bad_geometry_in, report)
        _sort_changes(entries, report)
        if report.problems or dry_run:
            return report
        _write(entries)
        report.written = True
    # Bulk writes send no post_save signal: mark the locate index stale ourselves.
    index.invalidate()
    return report


def _features(source: bytes | str | dict, report: ImportReport) -> list | None:
    if isinstance(source, bytes | str):
        try:
            source = json.loads(source)
        except (ValueError, UnicodeDecodeError) as e:
            report.add("bad_json", _("The file is not valid JSON: %(error)s") % {"error": e})
            return None
    if not isinstance(source, dict) or source.get("type") != "FeatureCollection":
        report.add("bad_collection", _("The file must be a GeoJSON FeatureCollection."))
        return None
    features = source.get("features")
    if not isinstance(features, list) or not features:
        report.add("bad_collection", _("The FeatureCollection has no features."))
        return None
    return features


def _read_features(features: list, report: ImportReport, within: str) -> tuple[list[_Entry], set[str]]:
    """Per-feature checks: structure, code, community, name, boundary, inside the community."""
    grid_len = CODE_LENGTH[RegionLevel.GRID]
    community_len = CODE_LENGTH[RegionLevel.COMMUNITY]
    codes = {
        str(f["properties"].get("code"))
        for f in features
        if isinstance(f, dict) and isinstance(f.get("properties"), dict)
    }
    communities = {
        r.code: r
        for r in Region.objects.select_for_update().filter(
            level=RegionLevel.COMMUNITY, code__in={c[:community_len] for c in codes}
        )
    }
    existing = {r.code: r for r in Region.objects.filter(code__in=codes)}
    entries: list[_Entry] = []
    seen: set[str] = set()
    bad_geometry_in: set[str] = set()
    for i, feature in enumerate(features):
        if not isinstance(feature, dict) or feature.get("type") != "Feature" or "geometry" not in feature:
            report.add("bad_feature", _("Not a GeoJSON Feature with a geometry."), index=i)
            continue
        props = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
        raw_code = props.get("code")
        code = str(raw_code) if isinstance(raw_code, str | int) and not isinstance(raw_code, bool) else ""
        if not (code.isascii() and code.isdigit() and len(code) == grid_len):
            report.add(
                "bad_code",
                _('The property "code" must be a %(n)d-digit grid code; got %(code)s.')
                % {"n": grid_len, "code": raw_code},
                index=i,
                region_code=code,
            )
            continue
        if code in seen:
            report.add(
                "duplicate_code",
                _("Grid code %(code)s appears more than once.") % {"code": code},
                index=i,
                region_code=code,
            )
            continue
        seen.add(code)
        if not code.startswith(within):
            report.add(
                "out_of_area", _("Grid %(code)s is outside your area.") % {"code": code}, index=i, region_code=code
            )
            continue
        ok = True
        level = props.get("level")
        if level not in (None, "", RegionLevel.GRID):
            report.add(
                "bad_level", _('The level must be "grid"; got %(level)s.') % {"level": level}, index=i, region_code=code
            )
            ok = False
        parent_code = props.get("parent_code")
        if parent_code not in (None, "") and str(parent_code) != code[:community_len]:
            report.add(
                "code_mismatch",
                _("Grid code %(code)s does not start with its parent_code %(parent)s.")
                % {"code": code, "parent": parent_code},
                index=i,
                region_code=code,
            )
            ok = False
        community = communities.get(code[:community_len])
        current = existing.get(code)
        if community is None:
            report.add(
                "unknown_community",
                _("Community %(community)s does not exist; create it before its grids.")
                % {"community": code[:community_len]},
                index=i,
                region_code=code,
            )
            ok = False
        else:
            try:
                check_code(code, RegionLevel.GRID, community)
            except InvalidInput as e:
                report.add(e.code, e.message, index=i, region_code=code)
                ok = False
        if current is not None and current.level != RegionLevel.GRID:
            report.add(
                "bad_code",
                _("Code %(code)s belongs to a region that is not a grid.") % {"code": code},
                index=i,
                region_code=code,
            )
            ok = False
        name = props.get("name")
        if name in (None, "") and current is not None:
            name = current.name  # an update may leave the name out
        try:
            name = check_name(name if isinstance(name, str) else "")
        except InvalidInput as e:
            report.add(e.code, e.message, index=i, region_code=code)
            ok = False
        geom, boundary, cover = None, None, None
        if feature["geometry"] is not None:
            try:
                geom, boundary = shapes.check_boundary(feature["geometry"])
                cover = geom
            except InvalidInput as e:
                report.add(e.code, e.message, index=i, region_code=code)
                ok = False
                cover = shapes.hull(feature["geometry"])
                if cover is None:
                    bad_geometry_in.add(code[:community_len])
        if geom is not None and community is not None and community.boundary:
            overhang = shapes.polygonal(geom.difference(shape(community.boundary)))
            area = shapes.area_m2(overhang)
            if area > shapes.OUTSIDE_TOLERANCE_M2:
                report.add(
                    "outside_community",
                    _("%(area).0f m² of the grid lies outside community %(community)s (near %(where)s).")
                    % {"area": area, "community": community, "where": shapes.where(overhang)},
                    index=i,
                    region_code=code,
                )
                ok = False
        if community is not None:
            entries.append(_Entry(i, code, name, community, geom, boundary, current, ok, cover))
    return entries, bad_geometry_in


def _check_geometry(entries: list[_Entry], bad_geometry_in: set[str], report: ImportReport) -> None:
    """Overlaps between the grids as they would be after the import, and gaps in touched communities."""
    imported = {e.code: e for e in entries}
    final: dict[str, BaseGeometry | None] = {
        code: shape(boundary)
        for code, boundary in Region.objects.filter(level=RegionLevel.GRID, boundary__isnull=False).values_list(
            "code", "boundary"
        )
    }
    covers = dict(final)
    for e in entries:
        final[e.code], covers[e.code] = e.geom, e.cover
    codes = [c for c, g in final.items() if g is not None]
    geoms = [final[c] for c in codes]
    tree = shapely.STRtree(geoms)
    for e in sorted(entries, key=lambda e: e.index):
        if e.geom is None:
            continue
        for j in tree.query(e.geom, predicate="intersects"):
            other = codes[j]
            if other == e.code:
                continue
            other_entry = imported.get(other)
            if other_entry is not None and other_entry.index > e.index:
                continue  # a pair of imported grids is reported once, at the later feature
            overlap = shapes.polygonal(e.geom.intersection(geoms[j]))
            area = shapes.area_m2(overlap)
            if area > shapes.OVERLAP_TOLERANCE_M2:
                report.add(
                    "overlap",
                    _("Overlaps grid %(other)s by %(area).0f m² (near %(where)s).")
                    % {"other": other, "area": area, "where": shapes.where(overlap)},
                    index=e.index,
                    region_code=e.code,
                )
    community_len = CODE_LENGTH[RegionLevel.COMMUNITY]
    touched = {e.community.code: e.community for e in entries}
    for community_code, community in sorted(touched.items()):
        if not community.boundary or community_code in bad_geometry_in:
            continue
        inside = [g for c, g in covers.items() if g is not None and c[:community_len] == community_code]
        gap = shapes.polygonal(shape(community.boundary).difference(shapely.union_all(inside)))
        for piece in shapes.pieces(gap):
            area = shapes.area_m2(piece)
            if area > shapes.GAP_TOLERANCE_M2:
                report.add(
                    "gap",
                    _("%(area).0f m² of community %(community)s is covered by no grid (near %(where)s).")
                    % {"area": area, "community": community, "where": shapes.where(piece)},
                    region_code=community_code,
                )


def _same_boundary(a: dict | None, b: BaseGeometry | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return shape(a).equals_exact(b, 1e-12)


def _sort_changes(entries: list[_Entry], report: ImportReport) -> None:
    for e in entries:
        if not e.ok:
            continue
        if e.existing is None:
            report.created.append(e.code)
        elif e.existing.name != e.name or not _same_boundary(e.existing.boundary, e.geom):
            report.updated.append(e.code)
        else:
            report.unchanged.append(e.code)


def _write(entries: list[_Entry]) -> None:
    now = clock.now()
    new, changed = [], []
    for e in entries:
        center = center_of(e.geom) if e.geom is not None else (None, None)
        if e.existing is None:
            new.append(
                Region(
                    code=e.code,
                    name=e.name,
                    level=RegionLevel.GRID,
                    parent=e.community,
                    boundary=e.boundary,
                    center_lon=center[0],
                    center_lat=center[1],
                )
            )
        elif e.existing.name != e.name or not _same_boundary(e.existing.boundary, e.geom):
            r = e.existing
            r.name, r.boundary, r.center_lon, r.center_lat, r.updated_at = e.name, e.boundary, *center, now
            changed.append(r)
    Region.objects.bulk_create(new)
    Region.objects.bulk_update(changed, ["name", "boundary", "center_lon", "center_lat", "updated_at"])
