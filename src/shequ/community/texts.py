"""Checks of what residents write where neighbours read it (proposals, posts, listings)."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from shequ.core.errors import InvalidInput

# A mainland mobile number (spaces or dashes allowed between digits), or a landline with its area code.
_PHONE = re.compile(r"(?<!\d)(?:1[3-9](?:[\s-]?\d){9}|0\d{2,3}[\s-]?\d{7,8})(?!\d)")


def has_phone(text: str) -> bool:
    return bool(_PHONE.search(text or ""))


def refuse_phone(text: str, *, field: str) -> None:
    """Phone numbers stay out of public text: a seller who wants to be called ticks "show my phone number"."""
    if has_phone(text):
        raise InvalidInput(
            _("Please leave phone numbers out of the text; neighbours contact you through the platform."),
            code="phone_in_text",
            field=field,
        )


def required(text: str, *, field: str, limit: int, message: str) -> str:
    value = (text or "").strip()
    if not value:
        raise InvalidInput(message, code=f"{field}_required", field=field)
    if len(value) > limit:
        raise InvalidInput(_("Too long (at most %(n)s characters).") % {"n": limit}, code="too_long", field=field)
    return value
