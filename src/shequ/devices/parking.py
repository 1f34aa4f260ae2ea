"""Car parks and the watch list: a plate read at a vehicle gate moves its car park's count; a watched plate
notifies the community (its staff and the grid's workers)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import F, Q
from django.db.models.functions import Greatest, Least
from django.utils.translation import gettext as _

from shequ.access.models import Role, User
from shequ.alerts import direct

from .models import Alarm, CarPark, Device, Message, Outcome, WatchedPlate


def on_plate(device: Device, message: Message, *, now: datetime) -> None:
    plate, direction = message.data["plate"], message.data["direction"]
    if device.car_park_id is not None:
        step = 1 if direction == "in" else -1
        # Bounded by the database, not read-modify-write: two gates of one car park never lose a count.
        CarPark.objects.filter(pk=device.car_park_id).update(
            occupied=Greatest(Least(F("occupied") + step, F("spaces")), 0), updated_at=now
        )
    watched = WatchedPlate.objects.filter(plate=plate, active=True)
    for watch in watched:
        if device.area_code.startswith(watch.area_code):
            _watch_hit(device, message, watch, now=now)


def _watch_hit(device: Device, message: Message, watch: WatchedPlate, *, now: datetime) -> None:
    direction = _("in") if message.data["direction"] == "in" else _("out")
    text = _("Watched plate %(plate)s (%(reason)s) went %(direction)s at %(place)s.") % {
        "plate": watch.plate,
        "reason": watch.reason,
        "direction": direction,
        "place": device.place,
    }
    community_code = device.area_code[:12]
    staff = User.objects.filter(is_active=True).filter(
        Q(role=Role.COMMUNITY_STAFF, region__code=community_code) | Q(role=Role.GRID_WORKER, region_id=device.grid_id)
    )
    direct.notify(
        key=f"device-watch-{watch.pk}-{message.pk}",
        headline=_("Watched plate %(plate)s") % {"plate": watch.plate},
        description=text,
        instruction=_("Please check on site."),
        region=device.grid,
        area_desc=device.place,
        event=_("Watched plate"),
        phones=[u.phone for u in staff if u.phone],
        sender_name=_("Community device alarm"),
    )
    Alarm.objects.create(device=device, message=message, outcome=Outcome.WATCHED, note=text[:300], at=now, last_at=now)
