"""Open311 responses in the two formats GeoReport v2 speaks: JSON, and XML with
the spec's element names (built with ElementTree, so every value is escaped)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from django.http import HttpResponse, JsonResponse
from django.utils import timezone

# The element name of one item inside each list the spec defines.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "errors": "error",
}
# Characters XML 1.0 cannot carry at all, even escaped.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class Open311Error(Exception):
    """An error to answer in the spec's format: ``[{"code": <status>, "description": ...}]``."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with the offset, in the platform's time zone."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _fill(parent: Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(SubElement(parent, key), item)
    elif isinstance(value, list):
        for item in value:
            _fill(SubElement(parent, ITEM_TAGS[parent.tag]), item)
    elif isinstance(value, bool):
        parent.text = "true" if value else "false"
    elif value is not None:
        parent.text = _XML_INVALID.sub("", str(value))


def respond(data: Any, fmt: str, *, root: str, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        element = Element(root)
        _fill(element, data)
        body = '<?xml version="1.0" encoding="utf-8"?>\n' + tostring(element, encoding="unicode")
        return HttpResponse(body.encode(), content_type="text/xml; charset=utf-8", status=status)
    return JsonResponse(data, safe=False, status=status, json_dumps_params={"ensure_ascii": False})


def error(fmt: str, status: int, description: str) -> HttpResponse:
    return respond([{"code": status, "description": description}], fmt, root="errors", status=status)
