"""Identity resolution, the review queue: the pairs a person decides and the merges they may look back on.

``mark_distinct`` is the queue's "not the same person" (merging a pair is ``merging.merge``, undoing it
``unmerging.unmerge``); ``candidates_for`` and ``merges_for`` are the pairs and merges a user may see, built on the
``queries`` access point.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from shequ.access.models import User
from shequ.core import clock
from shequ.core.errors import InvalidTransition

from . import queries
from .models import MatchCandidate, MatchStatus, Merge


@transaction.atomic
def mark_distinct(candidate: MatchCandidate, *, by: User | None) -> MatchCandidate:
    """ "Not the same person": the pair leaves the queue and is never proposed again."""
    locked = MatchCandidate.objects.select_for_update().get(pk=candidate.pk)
    if locked.status != MatchStatus.PENDING:
        raise InvalidTransition(_("This pair has already been decided."), code="candidate_decided")
    locked.status, locked.decided_at, locked.decided_by = MatchStatus.DISTINCT, clock.now(), by
    locked.save(update_fields=["status", "decided_at", "decided_by"])
    candidate.refresh_from_db()
    return locked


# --- scoped reads -------------------------------------------------------------------------------------------


def candidates_for(user: User) -> QuerySet[MatchCandidate]:
    """Pairs the user may look at: both people current and visible to the user (``queries.people_for``)."""
    visible = queries.people_for(user)
    return MatchCandidate.objects.filter(first__in=visible, second__in=visible)


def merges_for(user: User) -> QuerySet[Merge]:
    """Merges whose kept record the user may see (the merged record is hidden while merged, by design)."""
    return Merge.objects.filter(kept__in=queries.people_for(user))
