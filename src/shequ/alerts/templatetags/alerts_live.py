"""Tags that put live push on a page: the server-sent events script and the 开启消息提醒 switch."""

from __future__ import annotations

from django import template

from .. import live, webpush

register = template.Library()


@register.inclusion_tag("alerts/_live_script.html", takes_context=True)
def alert_stream_script(context: template.Context) -> dict:
    """The script that listens for alerts (static: the content security policy allows no inline script), with the
    stream's cursor taken now so that nothing sent between this render and the connection is missed."""
    user = context.get("user")
    on = user is not None and user.is_authenticated and (live.is_resident(user) or user.is_staff_role)
    return {"on": on, "after": live.cursor_for(user) if on else 0}


@register.inclusion_tag("alerts/_push_toggle.html", takes_context=True)
def push_toggle(context: template.Context) -> dict:
    """The switch for Web Push notifications on this browser (hidden by the script where unsupported)."""
    user = context.get("user")
    on = user is not None and live.is_resident(user)
    return {"on": on, "public_key": webpush.public_key() if on else "", "csrf_token": context.get("csrf_token")}
