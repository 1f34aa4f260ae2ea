"""``{% shown "person.phone" value %}``: a person value met outside the base's records (an event's reporter, say),
shown as the dictionary field it is, for the user of the page (``registry.visibility``)."""

from __future__ import annotations

from typing import Any

from django import template

from shequ.registry.visibility import viewer_for

register = template.Library()


@register.simple_tag(takes_context=True)
def shown(context: dict[str, Any], name: str, value: Any) -> Any:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    return viewer_for(user).shown(name, value) or ""
