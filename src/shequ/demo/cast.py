"""Who plays which part in the simulated events, and where events happen."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from shequ.access.models import Role, Unit, User
from shequ.events import catalog
from shequ.events.models import Event
from shequ.geo.models import Building, Region, RegionLevel

from .organisation import STREET_FALLBACK, unit_code


@dataclass(frozen=True)
class Place:
    grid_id: int
    community_id: int
    name: str
    address: str
    lon: float
    lat: float


@dataclass
class Cast:
    desk_staff: dict[int, User]  # desk region id -> its community staff / street or district dispatcher
    grid_workers: dict[int, User]  # grid id -> its grid worker
    handlers: dict[int, User]  # unit id -> its handler
    residents: list[User]
    units: dict[str, Unit]  # by code
    streets: dict[int, Region]  # by id
    regions: dict[int, Region]  # grids and communities by id
    places: list[Place]

    @classmethod
    def load(cls) -> Cast:
        desk_staff: dict[int, User] = {}
        grid_workers: dict[int, User] = {}
        handlers: dict[int, User] = {}
        residents: list[User] = []
        for user in User.objects.select_related("region", "unit").order_by("pk"):
            if user.role in (Role.COMMUNITY_STAFF, Role.STREET_DISPATCHER, Role.DISTRICT_DISPATCHER):
                desk_staff.setdefault(user.region_id, user)
            elif user.role == Role.GRID_WORKER:
                grid_workers.setdefault(user.region_id, user)
            elif user.role == Role.UNIT_HANDLER:
                handlers.setdefault(user.unit_id, user)
            elif user.role == Role.RESIDENT:
                residents.append(user)
        community_of = dict(Region.objects.filter(level=RegionLevel.GRID).values_list("id", "parent_id"))
        by_grid: dict[int, list[Place]] = defaultdict(list)
        for grid_id, name, address, lon, lat in Building.objects.order_by("pk").values_list(
            "grid_id", "name", "address", "lon", "lat"
        ):
            by_grid[grid_id].append(Place(grid_id, community_of[grid_id], name, address, lon, lat))
        return cls(
            desk_staff=desk_staff,
            grid_workers=grid_workers,
            handlers=handlers,
            residents=residents,
            units={u.code: u for u in Unit.objects.select_related("region").order_by("code")},
            streets={r.pk: r for r in Region.objects.filter(level=RegionLevel.STREET)},
            regions={r.pk: r for r in Region.objects.filter(level__in=(RegionLevel.GRID, RegionLevel.COMMUNITY))},
            places=[p for grid_id in sorted(by_grid) for p in by_grid[grid_id]],
        )

    def desk(self, event: Event) -> User:
        return self.desk_staff[event.desk_id]

    def handler(self, event: Event) -> User:
        return self.handlers[event.unit_id]

    def street_dispatcher(self, event: Event) -> User:
        return self.desk_staff[event.street_id]

    def verifier(self, event: Event) -> User:
        """The grid's worker checks on site; without a grid, the community's staff."""
        worker = self.grid_workers.get(event.grid_id) if event.grid_id else None
        return worker or self.desk_staff[event.community_id]

    def unit_for(self, event: Event, *, avoid: int | None = None) -> Unit:
        """The unit a desk picks by hand: the responsibility list's if it names one
        (and it is not ``avoid``), else the street's team for the category's group."""
        routed = catalog.route(event.category, area_code=event.area_code, desk=event.desk)
        if routed is not None and routed.pk != avoid:
            return routed
        street = self.streets[event.street_id]
        for kind in (STREET_FALLBACK.get(event.category.code[:2], "CG"), "CG", "AJ"):
            unit = self.units[unit_code(street, kind)]
            if unit.pk != avoid:
                return unit
        raise AssertionError("unreachable: CG and AJ differ")
