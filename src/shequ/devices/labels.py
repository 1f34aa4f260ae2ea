"""Words of the devices shown by other apps' templates and modules, kept in this app's catalogue."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ELSEWHERE = (
    _("Repeated alarm"),  # workbench/labels.py: the timeline row of a folded repeat
    _("Device messages"),  # registry/catalogue.py: the data dictionary's record type
    _("Parking"),  # the portal's tab bar
    pgettext_lazy("devices", "Devices"),  # the workbench's navigation and its map's layer
    _("Installing devices …"),  # the demo's loading step
)
