"""The services app's writes, one module per part (``affairs``, ``orders``, ``care``, ``aid``: each ``actions.py``
holds its rules). This module is the app's door for other apps:

``request_care_visit(*, person, reason, source, by=None) -> CareTask``
    Ask for a care visit to ``person`` (a ``registry.Person``), due today, for the grid worker of the grid they
    live in: for example a device rule that saw no motion at an elderly resident's home for twelve hours
    (``source="devices:alarm:<id>"``). While a visit asked by the same ``source`` is open, asking again returns it,
    so a retried or repeated alarm is one visit. Someone not on the needs list is put on it (high risk). Raises
    ``core.errors.NotFound`` when the base has no home for the person in the district, ``InvalidInput`` without a
    reason. The returned task has ``pk``, ``is_open``, ``due`` and ``worker``.

``open_care_task(*, reason, source="", person=None, dwelling=None, by=None, **context) -> CareTask | None``
    The same for a dwelling (its resident most at risk), for the devices app's ``SHEQU_DEVICE_CARE_TASKS`` seam;
    None when nobody lives there.
"""

from __future__ import annotations

from .care.actions import open_care_task, request_care_visit

__all__ = ["open_care_task", "request_care_visit"]
