"""Markdown to safe HTML: what a notice's author writes is shown to every resident, so nothing active survives."""

from __future__ import annotations

import re

import markdown
import nh3

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "abbr": {"title"},
    "th": {"align"},
    "td": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
# Images load only from this site: an outside image would tell its host who read the notice and when.
LOCAL_IMAGE_PREFIXES = ("/media/", "/static/", "/notices/attachments/")
# An image whose source was removed would show as an empty box.
_IMG_WITHOUT_SRC = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if value.startswith(LOCAL_IMAGE_PREFIXES) and "\\" not in value else None
    return value


def render(body: str) -> str:
    """The notice body (Markdown) as HTML with no scripts, event handlers, javascript: links or outside images."""
    html = markdown.markdown(body or "", extensions=["extra", "sane_lists"], output_format="html")
    clean = nh3.clean(
        html,
        tags=TAGS,
        clean_content_tags={"script", "style"},
        attributes=ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return _IMG_WITHOUT_SRC.sub("", clean)
