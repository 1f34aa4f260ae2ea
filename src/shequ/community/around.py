"""Getting around (出行): the panels the portal shows a resident about their home's surroundings.

Each panel comes from a provider registered here: ``register(key, provider)``, where ``provider(home)`` returns a
``Panel`` or None (nothing to show). This app registers the bus stops and lines near home (``transit_panel``) and,
when the devices app is installed, the free spaces of the community's car parks as its vehicle gates count them
(``parking_panel``, read through ``devices.queries.car_parks_for``: an empty state while the community has none).
Another app adds its own panel the same way, from its ``ready()``::

    from shequ.community import around
    around.register("key", provider)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shequ.access.models import User
from shequ.geo.models import Building


@dataclass(frozen=True)
class Home:
    """Where a resident lives: the building (with its point) and its community's code; ``user`` is who asks (panels
    read through their app's access point)."""

    building: Building
    community_code: str
    user: User | None = None

    @property
    def lon(self) -> float:
        return self.building.lon

    @property
    def lat(self) -> float:
        return self.building.lat


@dataclass
class Panel:
    key: str
    title: str
    template: str  # rendered with ``panel`` in its context
    context: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)  # the same, as JSON for the API (a mini program)


Provider = Callable[[Home], "Panel | None"]
_PROVIDERS: dict[str, Provider] = {}


def register(key: str, provider: Provider) -> None:
    """Add (or replace) the panel provider named ``key``; panels show in the order they were first registered."""
    _PROVIDERS[key] = provider


def unregister(key: str) -> None:
    _PROVIDERS.pop(key, None)


def homes(user: User) -> list[Home]:
    """The buildings of the resident's current homes (each once), with their community and who asks."""
    from shequ.registry.queries import current_residences

    from . import scopes

    person = scopes.person_for(user)
    if person is None:
        return []
    out: dict[int, Home] = {}
    for residence in current_residences().filter(person=person).select_related("dwelling__building__grid"):
        building = residence.dwelling.building
        if building.pk not in out:
            code = building.grid.code[: scopes.COMMUNITY_CODE]
            out[building.pk] = Home(building=building, community_code=code, user=user)
    return list(out.values())


def panels(home: Home) -> list[Panel]:
    out = []
    for provider in _PROVIDERS.values():
        panel = provider(home)
        if panel is not None:
            out.append(panel)
    return out


def transit_panel(home: Home) -> Panel | None:
    from django.utils.translation import gettext as _

    from . import transit

    stops = transit.nearest_stops(home.lon, home.lat)
    return Panel(
        key="transit",
        title=_("Bus stops near home"),
        template="community/portal/_transit_panel.html",
        context={"stops": stops},
        data={
            "stops": [
                {"name": s.stop.name, "metres": s.metres, "lines": [str(line.route) for line in s.lines]} for s in stops
            ]
        },
    )


PARKING_SHOWN = 10


def parking_panel(home: Home) -> Panel | None:
    """The car parks of the home's community with their free spaces (the home's own grid first, then the most free),
    from the devices app's gate counts."""
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from shequ.devices.queries import car_parks_for

    if home.user is None:
        return None
    parks = sorted(
        car_parks_for(home.user).filter(area_code__startswith=home.community_code)[:200],
        key=lambda p: (p.grid_id != home.building.grid_id, -p.free, p.name, p.pk),
    )[:PARKING_SHOWN]
    return Panel(
        key="parking",
        title=_("Parking"),
        template="community/portal/_parking_panel.html",
        context={"parks": parks},
        data={
            "car_parks": [
                {
                    "name": p.name,
                    "address": p.address,
                    "spaces": p.spaces,
                    "free": p.free,
                    "updated_at": timezone.localtime(p.updated_at).isoformat(),
                }
                for p in parks
            ]
        },
    )
