"""The catalogue a report reads, kept per process (``core.bus.Memo``): categories by code, which of them are groups,
the levels, and the names of the regions an event's detail shows.

A report used to read these rows every time (four queries of its twenty, issue #16); they change when an
administrator edits the catalogue or the map. Any save or delete of a category, level or region drops them at once
in the writing process and in every other as soon as it commits (``connect``, from ``EventsConfig.ready``); a bulk
update that sends no signal is seen within the memo's time to live (a minute).

"""

from __future__ import annotations

from typing import Any

from shequ.core import bus
from shequ.geo.models import Region

from .models import Category, Event, Level

TOPIC = "events.catalogue"
_memo = bus.Memo(TOPIC, "geo")


def category(code: str) -> Category | None:
    """The active category with this code (its default level loaded), or None."""
    return _memo.get(  # type: ignore[return-value]
        ("category", code),
        lambda: Category.objects.select_related("default_level").filter(code=code, active=True).first(),
    )


def is_group(category: Category) -> bool:
    """Whether the category has children (any, active or not): a report needs a specific one."""
    return _memo.get(("group", category.pk), lambda: category.children.exists())  # type: ignore[return-value]


def level(code: str) -> Level | None:
    return _memo.get(("level", code), lambda: Level.objects.filter(code=code).first())  # type: ignore[return-value]


def lowest_level() -> Level | None:
    """The level of a report that names none and whose category has no default."""
    return _memo.get(("level", None), lambda: Level.objects.order_by("rank").first())  # type: ignore[return-value]


def _category_by_pk(pk: int) -> Category | None:
    return _memo.get(  # type: ignore[return-value]
        ("category-pk", pk), lambda: Category.objects.select_related("parent", "default_level").filter(pk=pk).first()
    )


def _level_by_pk(pk: int) -> Level | None:
    return _memo.get(("level-pk", pk), lambda: Level.objects.filter(pk=pk).first())  # type: ignore[return-value]


def attach(event: Event) -> Event:
    """The event's category (with its parent and default level), level and regions, from the memo: a read of one
    event joining them (eleven tables) spent 7 ms of PostgreSQL's time planning, more than reading it. The unit and
    people stay lazy (one small read each, when a page uses them)."""
    if event.category_id is not None:
        event.category = _category_by_pk(event.category_id)  # type: ignore[assignment]
    if event.level_id is not None:
        event.level = _level_by_pk(event.level_id)  # type: ignore[assignment]
    found = regions({event.grid_id, event.community_id, event.street_id, event.desk_id} - {None})  # type: ignore[arg-type]
    event.grid, event.community = found.get(event.grid_id), found.get(event.community_id)  # type: ignore[arg-type]
    event.street, event.desk = found.get(event.street_id), found.get(event.desk_id)  # type: ignore[arg-type]
    return event


def regions(ids: set[int]) -> dict[int, Region]:
    """Regions by id with their code, name and level only (no polygons), for an event's detail."""
    found: dict[int, Region] = {}
    for pk in ids:
        region = _memo.get(
            ("region", pk), lambda pk=pk: Region.objects.only("code", "name", "level").filter(pk=pk).first()
        )
        if region is not None:
            found[pk] = region  # type: ignore[assignment]
    return found


def changed(sender: Any, **kwargs: Any) -> None:
    bus.changed(TOPIC)


def region_changed(sender: Any, **kwargs: Any) -> None:
    _memo.clear()  # here, at once; the other processes hear the "geo" nudge that geo.signals publishes


def connect() -> None:
    from django.db.models.signals import post_delete, post_save

    for model in (Category, Level):
        post_save.connect(changed, sender=model, dispatch_uid=f"events_memo_save_{model.__name__}")
        post_delete.connect(changed, sender=model, dispatch_uid=f"events_memo_delete_{model.__name__}")
    post_save.connect(region_changed, sender=Region, dispatch_uid="events_memo_save_Region")
    post_delete.connect(region_changed, sender=Region, dispatch_uid="events_memo_delete_Region")
