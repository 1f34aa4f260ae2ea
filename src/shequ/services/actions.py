"""The services app's writes, one module per part (``affairs``, ``orders``, ``care``, ``aid``: each ``actions.py``
holds its rules). This module is the app's door for other apps:

``request_care_visit(*, person, reason, source, by=None) -> CareTask``
    Ask for a care visit to ``person`` (a ``registry.Person``), due today, for the grid worker of the grid they
    live in: for example a device rule that saw no motion at an elderly resident's home for twelve hours
    (``source="devices:alarm:<id>"``). While a visit asked by the same ``source`` is open, asking again returns it,
    so a retried or repeated alarm is one visit. Someone not on the needs list is put on it (high risk). Raises
    ``core.errors.NotFound`` when the base has no home for the person in the district, ``InvalidInput`` without a
    reason. The returned task has ``pk``, ``is_open``, ``due`` and ``worker``.
"""

from __future__ import annotations

from .care.actions import request_care_visit

__all__ = ["request_care_visit"]
