"""``{% sso_login_button next %}``: the "使用统一身份认证登录" button, rendered only when the client is configured."""

from __future__ import annotations

from django import template

from shequ.sso import client

register = template.Library()


@register.inclusion_tag("sso/_button.html")
def sso_login_button(next: str = "", css_class: str = "") -> dict:
    return {"sso_configured": client.configured(), "next": next, "css_class": css_class}
