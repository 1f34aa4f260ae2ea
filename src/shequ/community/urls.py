"""Workbench pages of community life, under /community/ (and the partner merchant's page)."""

from django.urls import path

from . import staff_deliberation_views as d
from . import staff_market_views as m
from . import staff_points_views as p
from . import staff_views as v

app_name = "community"

urlpatterns = [
    path("", v.dashboard, name="dashboard"),
    path("volunteers/", v.volunteer_list, name="volunteers"),
    path("volunteers/new/", v.volunteer_new, name="volunteer_new"),
    path("volunteers/<int:pk>/", v.volunteer_detail, name="volunteer"),
    path("teams/", v.team_list, name="teams"),
    path("teams/<int:pk>/", v.team_detail, name="team"),
    path("activities/", v.activity_list, name="activities"),
    path("activities/new/", v.activity_new, name="activity_new"),
    path("activities/<int:pk>/", v.activity_detail, name="activity"),
    path("activities/<int:pk>/<str:action>/", v.activity_act, name="activity_act"),
    path("sessions/<int:pk>/poster/", v.session_poster, name="session_poster"),
    path("fitness/", v.fitness_list, name="fitness"),
    path("fitness/<int:pk>/poster/", v.fitness_poster, name="fitness_poster"),
    path("points/rules/", p.rules, name="rules"),
    path("points/sorting/", p.sorting, name="sorting"),
    path("shop/", p.shop_admin, name="shop"),
    path("shop/<str:action>/", p.shop_act, name="shop_act"),
    path("merchant/<str:token>/", p.merchant_page, name="merchant_page"),
    path("time-bank/", p.time_pool, name="time_pool"),
    path("time-bank/<int:pk>/reverse/", p.time_reverse, name="time_reverse"),
    path("proposals/", d.proposal_list, name="proposals"),
    path("proposals/new/", d.proposal_new, name="proposal_new"),
    path("proposals/<int:pk>/", d.proposal_detail, name="proposal"),
    path("proposals/<int:pk>/vote/", d.vote_new, name="vote_new"),
    path("proposals/<int:pk>/<str:action>/", d.proposal_act, name="proposal_act"),
    path("posts/<int:pk>/moderate/", d.post_moderate, name="post_moderate"),
    path("meetings/<int:pk>/minutes/", d.meeting_minutes, name="meeting_minutes"),
    path("moderation/", d.moderation, name="moderation"),
    path("votes/<int:pk>/", d.vote_detail, name="vote"),
    path("votes/<int:pk>/<str:action>/", d.vote_act, name="vote_act"),
    path("decisions/", d.decision_list, name="decisions"),
    path("decisions/<int:pk>/", d.decision_detail, name="decision"),
    path("market/", m.listing_list, name="listings"),
    path("market/photos/<int:pk>/", m.listing_photo, name="listing_photo"),
    path("market/<int:pk>/", m.listing_detail, name="listing"),
    path("market/<int:pk>/moderate/", m.listing_moderate, name="listing_moderate"),
    path("transit/", m.transit_page, name="transit"),
]
