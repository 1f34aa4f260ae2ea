"""A new event from any channel: ``report`` checks it, places it in its grid and queues it at its community's desk.

Split from ``actions`` (the changes of an existing event): a report takes the day's code, resolves the place and
inserts the row and its first timeline row, where every other action locks a row that exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.access.models import User
from shequ.core import clock
from shequ.core.errors import InvalidInput
from shequ.geo import coords
from shequ.geo.index import locate
from shequ.geo.models import Region, RegionLevel

from . import memo
from .models import Category, Channel, Event, EventSequence, Level, Stage, Status
from .photos import attach, check_photos
from .writing import check_leaf, log, require

MAX_DESCRIPTION = 2000


def _next_code(at: datetime) -> str:
    """The day's next event code, committed on its own before the report's transaction begins.

    The upsert locks the day's counter row until its transaction ends: inside the report's transaction that lock was
    held through every insert and the commit, so all reports of the platform queued on it (seven tenths of a loaded
    server's waiting, issue #16). Taken here, it is held for one statement. The price is a number left unused when
    the report then fails (a retry of a ``source_ref`` that raced already left one): codes are unique, not gapless,
    and in the order they were taken (not always the order of the commits). Called inside a caller's transaction (a
    test, a batch import) it joins that one.
    """
    day = timezone.localtime(at).date()
    district = settings.SHEQU_DISTRICT_CODE
    # One atomic upsert on both SQLite (>= 3.35) and PostgreSQL: concurrent reports never share a number.
    table = EventSequence._meta.db_table
    alone = not connection.in_atomic_block  # this transaction will be the counter's only
    with transaction.atomic(), connection.cursor() as cursor:
        if alone and connection.vendor == "postgresql":
            # No wait for the disk here: the report's own commit comes later in the log and flushes this one with
            # it, so a crash can lose the number only together with the event that would have used it.
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.execute(
            f"INSERT INTO {table} (district_code, day, last) VALUES (%s, %s, 1) "
            f"ON CONFLICT (district_code, day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [district, day],
        )
        (last,) = cursor.fetchone()
    return f"{district}-{day:%Y%m%d}-{last:05d}"


@dataclass(frozen=True)
class _Place:
    lon: float | None
    lat: float | None
    grid_id: int | None
    community_id: int
    street_id: int
    area_code: str


def _resolve_place(*, lon: float | None, lat: float | None, crs: str, region: Region | None) -> _Place:
    """The point in WGS-84 and the grid, community and street it falls in.

    Ids come straight from the locate index: no region rows (with their polygons) are loaded.
    """
    if lon is not None and lat is not None:
        try:
            lon, lat = coords.to_wgs84(float(lon), float(lat), crs)
        except ValueError as e:
            raise InvalidInput(
                _("Unknown coordinate system %(crs)s.") % {"crs": crs}, code="bad_crs", field="crs"
            ) from e
        found = locate(lon, lat)
        if found is None or found.community_id is None or found.street_id is None:
            raise InvalidInput(
                _("This location is outside the district's grids."), code="outside_area", field="location"
            )
        return _Place(lon, lat, found.grid_id, found.community_id, found.street_id, found.grid_code)
    if region is not None and region.level in (RegionLevel.GRID, RegionLevel.COMMUNITY):
        community_id = region.parent_id if region.level == RegionLevel.GRID else region.pk
        street_id = (
            None
            if community_id is None
            else Region.objects.filter(pk=community_id).values_list("parent_id", flat=True).first()
        )
        if community_id is not None and street_id is not None:
            grid_id = region.pk if region.level == RegionLevel.GRID else None
            return _Place(None, None, grid_id, community_id, street_id, region.code)
    raise InvalidInput(
        _("Give a location on the map or choose a grid or community."), code="location_required", field="location"
    )


def report(
    *,
    by: User | None,
    channel: str,
    description: str,
    category: Category | None = None,
    level: Level | None = None,
    lon: float | None = None,
    lat: float | None = None,
    crs: str = coords.CRS.WGS84,
    region: Region | None = None,
    address: str = "",
    photos: Sequence[UploadedFile] = (),
    reporter_name: str = "",
    reporter_phone: str = "",
    source_ref: str = "",
    publish_description: bool = False,
    note: str = "",
) -> Event:
    """A new event from any channel, placed in its grid and queued at its community's desk.

    ``note`` goes on the report's timeline row (e.g. that the category is the machine's suggestion).

    A repeated ``source_ref`` from the same channel (a hotline system retrying)
    returns the event already made instead of a second one.
    """
    if channel not in Channel.values:
        raise InvalidInput(_("Unknown channel %(channel)s.") % {"channel": channel}, field="channel")
    description = require(description, _("Describe the problem."), field="description")
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            _("The description is longer than %(n)s characters.") % {"n": MAX_DESCRIPTION}, field="description"
        )
    checked = check_photos(photos)
    category = check_leaf(category)
    place = _resolve_place(lon=lon, lat=lat, crs=crs, region=region)
    level = level or (category.default_level if category else None) or memo.lowest_level()
    if level is None:
        raise InvalidInput(_("The catalog has no levels yet."), code="catalog_empty")
    if source_ref:  # before a number is taken: a retry must not use one up (a race is caught at the insert)
        existing = Event.objects.filter(channel=channel, source_ref=source_ref).first()
        if existing:
            return existing
    now = clock.now()
    event = Event(
        code=_next_code(now),
        channel=channel,
        reporter=by,
        description=description,
        publish_description=publish_description,
        reporter_name=reporter_name or (by.name if by else ""),
        reporter_phone=reporter_phone or (by.phone if by else ""),
        source_ref=source_ref,
        address=address.strip()[:200],
        lon=place.lon,
        lat=place.lat,
        grid_id=place.grid_id,
        community_id=place.community_id,
        street_id=place.street_id,
        area_code=place.area_code,
        category=category,
        level=level,
        status=Status.REPORTED,
        desk_id=place.community_id,
        reported_at=now,
        updated_at=now,
    )
    try:
        with transaction.atomic():
            event.save()  # first: two retries of one source_ref may race, and the loser stops here
            attach(event, checked, stage=Stage.REPORT, by=by)
            # last: it locks the audit chain until the commit
            entry = log(event, action="report", by=by, from_status="", note=note[:500])
    except IntegrityError:
        raced = Event.objects.filter(channel=channel, source_ref=source_ref).first() if source_ref else None
        if raced is None:
            raise
        return raced
    if not checked:
        # What this transaction wrote is all of the new event's timeline, and it has no photos: the detail that
        # answers the report need not read them back.
        event.reported_rows = ([entry], [])  # type: ignore[attr-defined]  # (timeline, photos), for events.api
    return event
