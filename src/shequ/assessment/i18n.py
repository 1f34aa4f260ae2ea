"""Words assessment added to other apps' files (events' rule and action, the workbench's timeline label, the
portal's progress line): listed here so that assessment's own catalogue translates them, and the other apps'
catalogues need no change."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

FOREIGN = (
    _("Reopen after a spot check"),
    _("Reopened after a spot check"),
    _("Say what the spot check found."),
    pgettext_lazy("resident portal", "checked the result again and had it handled again"),
)
