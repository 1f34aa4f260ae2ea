"""``alert_banner`` for the portal's pages: the newest alert in force the resident has not answered.

Lazy: the query runs only on a page whose template shows the banner (``alerts/_banner.html``)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from . import queries


def alert_banner(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"alert_banner": SimpleLazyObject(lambda: queries.banner_for(user) or "")}
