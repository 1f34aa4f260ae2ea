"""The UI is Chinese: every catalogue is fully translated and its compiled .mo matches the .po."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest

import shequ

PO_FILES = sorted(Path(shequ.__file__).parent.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"))
_ENTRY = re.compile(r'^(#, fuzzy\n)?(?:msgctxt ("(?:.*)"\n))?msgid ((?:".*"\n)+)msgstr ((?:".*"\n?)+)', re.M)


def _text(quoted: str) -> str:
    return "".join(re.findall(r'"(.*)"', quoted)).encode().decode("unicode_escape").encode("latin-1").decode()


def _entries(po: Path) -> list[tuple[str | None, str, str, bool]]:
    found = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        match = _ENTRY.search(block.strip() + "\n")
        if match and _text(match.group(3)):
            context = _text(match.group(2)) if match.group(2) else None
            found.append((context, _text(match.group(3)), _text(match.group(4)), bool(match.group(1))))
    return found


def test_it_has_a_catalogue_for_every_app():
    apps = {p.parent.name for p in Path(shequ.__file__).parent.glob("*/apps.py")}
    with_catalogue = {p.parents[3].name for p in PO_FILES}
    assert apps - {"shequ"} <= with_catalogue


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: str(p.parents[3].name))
def test_it_translates_every_message_and_the_mo_is_compiled(po: Path):
    entries = _entries(po)
    assert entries
    assert [msgid for _ctx, msgid, msgstr, fuzzy in entries if not msgstr or fuzzy] == []
    with open(po.with_suffix(".mo"), "rb") as f:
        compiled = gettext.GNUTranslations(f)
    for context, msgid, msgstr, _fuzzy in entries:
        got = compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)
        assert got == msgstr, f"{po}: {msgid!r} is stale in the .mo (run scripts/messages.sh)"


def test_it_translates_a_message_the_same_way_in_every_catalogue():
    """Django merges the apps' catalogues into one (the first app wins), so a msgid translated two ways would show
    the other app's words on a page. Words that differ by app take a context (translate "x" context "alert")."""
    seen: dict[str, dict[str, str]] = {}
    for po in PO_FILES:
        for context, msgid, msgstr, _fuzzy in _entries(po):
            if context is None and msgstr:
                seen.setdefault(msgid, {})[msgstr] = str(po.parents[3].name)
    assert {msgid: found for msgid, found in seen.items() if len(found) > 1} == {}
