"""``{% acting_grant_switch %}``: the top bar's small form to choose the acting grant (only for users with more
than one grant)."""

from __future__ import annotations

from typing import Any

from django import template

from shequ.access.grants import choices_for

register = template.Library()


@register.inclusion_tag("access/_grant_switch.html", takes_context=True)
def acting_grant_switch(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    choices = choices_for(user) if user is not None and user.is_authenticated else []
    return {"choices": choices, "next": request.get_full_path() if request is not None else "/"}
