"""Listeners of the event loop: other apps learn of every timeline row without the events app knowing them.

An app registers a function in its ``AppConfig.ready`` (``hooks.on_timeline(fn)``); ``actions._log`` calls each one
with the new row, inside the action's transaction, so whatever the listener writes commits or rolls back with the
action. Listeners must be quick and must not raise for ordinary rows (assessment queues the event for its rollups).
"""

from __future__ import annotations

from collections.abc import Callable

from .models import TimelineEntry

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
