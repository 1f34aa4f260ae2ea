"""Template filters of the community pages."""

from __future__ import annotations

from django import template

from shequ.community import civil_code, viewkit

register = template.Library()


@register.filter
def hours(minutes: int | None) -> str:
    """Minutes as hours with one decimal (time-bank balances)."""
    return viewkit.hours(minutes or 0)


@register.filter
def signed(value: int) -> str:
    return f"+{value}" if value > 0 else str(value)


@register.simple_tag
def percent(part: int, whole: int) -> str:
    return civil_code.percent(part, whole)


@register.filter
def sqm(hundredths: int | None) -> str:
    """Hundredths of a m² as square metres with two decimals."""
    value = hundredths or 0
    return f"{value // 100}.{value % 100:02d}"
