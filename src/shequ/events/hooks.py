"""Listeners of the event loop: other apps learn of every timeline row without the events app knowing them.

An app registers a function in its ``AppConfig.ready`` (``hooks.on_timeline(fn)``); ``writing.log`` calls each one
with the new row, inside the action's transaction, so whatever the listener writes commits or rolls back with the
action. Listeners must be quick and must not raise for ordinary rows (assessment queues the event for its rollups).
"""

from __future__ import annotations

from collections.abc import Callable

from .models import Category, TimelineEntry

Listener = Callable[[TimelineEntry], None]

_listeners: list[Listener] = []


def on_timeline(listener: Listener) -> Listener:
    """Register ``listener`` (once, however often ``ready`` runs)."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def notify(entry: TimelineEntry) -> None:
    for listener in _listeners:
        listener(entry)


# A report that arrives without a usable category (a hotline import, an Open311 POST) may be given one by a
# categoriser another app registers (intake: the model's best category and the timeline note that says so).
Categoriser = Callable[[str], tuple[Category, str] | None]
_categorisers: list[Categoriser] = []


def on_uncategorised(categoriser: Categoriser) -> Categoriser:
    """Register ``categoriser`` (once): text -> (category, timeline note) or None."""
    if categoriser not in _categorisers:
        _categorisers.append(categoriser)
    return categoriser


def categorise(text: str) -> tuple[Category, str] | None:
    """The first registered categoriser's answer for this text, or None (none registered, or no answer)."""
    for categoriser in _categorisers:
        found = categoriser(text)
        if found is not None:
            return found
    return None
