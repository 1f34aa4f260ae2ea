"""Resident pages of community life, under /portal/community/."""

from django.urls import path

from . import portal_deliberation_views as d
from . import portal_ledger_views as ledger
from . import portal_market_views as market
from . import portal_views as v

app_name = "community_portal"

urlpatterns = [
    path("", v.home, name="home"),
    path("activities/", v.activity_list, name="activities"),
    path("activities/new/", v.activity_new, name="activity_new"),
    path("activities/<int:pk>/", v.activity_detail, name="activity"),
    path("activities/<int:pk>/roster/", v.roster, name="roster"),
    path("activities/<int:pk>/<str:action>/", v.activity_act, name="activity_act"),
    path("checkin/<str:code>/", v.checkin, name="checkin"),
    path("calendar/", v.calendar, name="calendar"),
    path("volunteer/", v.volunteer, name="volunteer"),
    path("fitness/<str:code>/", v.fitness, name="fitness"),
    path("around/", v.getting_around, name="around"),
    path("statement/", ledger.statement, name="statement"),
    path("family/", ledger.family, name="family"),
    path("help/", ledger.help_list, name="help"),
    path("help/<int:pk>/<str:action>/", ledger.help_act, name="help_act"),
    path("shop/", ledger.shop_list, name="shop"),
    path("shop/<int:pk>/redeem/", ledger.redeem, name="redeem"),
    path("redemptions/", ledger.redemptions, name="redemptions"),
    path("redemptions/<int:pk>/cancel/", ledger.redemption_cancel, name="redemption_cancel"),
    path("proposals/", d.proposal_list, name="proposals"),
    path("proposals/new/", d.proposal_new, name="proposal_new"),
    path("proposals/<int:pk>/", d.proposal_detail, name="proposal"),
    path("proposals/<int:pk>/<str:action>/", d.proposal_act, name="proposal_act"),
    path("posts/<int:pk>/report/", d.post_report, name="post_report"),
    path("votes/<int:pk>/", d.vote_detail, name="vote"),
    path("votes/<int:pk>/<str:action>/", d.vote_act, name="vote_act"),
    path("decisions/", d.decision_list, name="decisions"),
    path("decisions/<int:pk>/", d.decision_detail, name="decision"),
    path("decisions/<int:pk>/watch/", d.decision_watch, name="decision_watch"),
    path("market/", market.listing_list, name="market"),
    path("market/new/", market.listing_new, name="listing_new"),
    path("market/mine/", market.listing_mine, name="market_mine"),
    path("market/photos/<int:pk>/", market.listing_photo, name="listing_photo"),
    path("market/<int:pk>/", market.listing_detail, name="listing"),
    path("market/<int:pk>/<str:action>/", market.listing_act, name="listing_act"),
]
