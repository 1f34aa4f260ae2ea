"""The Atom feed of alerts in force (approved, public, not expired, not cancelled or replaced).

Each entry links to the alert's CAP XML (``application/cap+xml``), the usual shape of a CAP-over-Atom feed.
"""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from . import queries
from .models import Alert

MAX_ENTRIES = 200


class CapAtomFeed(Atom1Feed):
    def add_item_elements(self, handler, item) -> None:
        super().add_item_elements(handler, item)
        # The entry's link is its CAP XML (absolute already); say so, as CAP-over-Atom readers look for the type.
        handler.addQuickElement("link", "", {"rel": "alternate", "type": "application/cap+xml", "href": item["link"]})


class CurrentAlertsFeed(Feed):
    feed_type = CapAtomFeed
    title = _("Emergency alerts in force")
    subtitle = _("CAP 1.2 alerts of the district that are in force now")

    def link(self) -> str:
        return reverse("alerts:feed")

    def items(self):
        return queries.current_public_alerts()[:MAX_ENTRIES]

    def item_title(self, item: Alert) -> str:
        return item.headline

    def item_description(self, item: Alert) -> str:
        return item.description

    def item_link(self, item: Alert) -> str:
        return reverse("alerts:xml", args=[item.pk])

    def item_guid(self, item: Alert) -> str:
        return f"{item.sender},{item.identifier}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Alert):
        return item.sent

    def item_updateddate(self, item: Alert):
        return item.approved_at or item.sent

    def item_author_name(self, item: Alert) -> str:
        return item.sender_name or item.sender

    def item_categories(self, item: Alert) -> list[str]:
        return [item.category, item.severity, item.urgency]
