"""Community life's periodic work (django-tasks), enqueued by ``core.scheduler``; each part is idempotent."""

from __future__ import annotations

from django_tasks import task

from . import market, points, voting


@task()
def sweep_community() -> dict[str, int]:
    """Points for reports closed lately (once per event), votes past their closing time closed and tallied,
    available listings past their expiry expired."""
    return {
        "points_for_closed_reports": points.award_closed_reports(),
        "votes_closed": voting.close_due(),
        "listings_expired": market.expire_due(),
    }
