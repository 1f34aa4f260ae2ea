from django.urls import path

from . import dashboard_views, inspection_views, report_views, scoring_views, views

app_name = "assessment"

urlpatterns = [
    path("", views.indicators_page, name="indicators"),
    path("events/", views.behind_page, name="behind"),
    path("visits/", views.visits_page, name="visits"),
    path("months/", scoring_views.months_page, name="months"),
    path("months/compute/", scoring_views.month_compute, name="compute"),
    path("months/<int:pk>/", scoring_views.month_page, name="month"),
    path("months/<int:pk>/<str:action>/", scoring_views.month_act, name="month_act"),
    path("schemes/new/", scoring_views.scheme_page, name="scheme_new"),
    path("schemes/<int:pk>/", scoring_views.scheme_page, name="scheme"),
    path("scores/<int:pk>/", scoring_views.score_page, name="score"),
    path("scores/<int:pk>/appeal/", scoring_views.score_appeal, name="appeal"),
    path("scores/<int:pk>/correct/", scoring_views.score_correct, name="correct"),
    path("appeals/<int:pk>/decide/", scoring_views.appeal_decide, name="decide"),
    path("inspections/", inspection_views.inspections_page, name="inspections"),
    path("inspections/<int:pk>/", inspection_views.inspection_page, name="inspection"),
    path("inspections/items/<int:pk>/", inspection_views.item_page, name="inspection_item"),
    path("report/", report_views.report_page, name="report"),
    path("report.xlsx", report_views.report_xlsx, name="report_xlsx"),
    path("report/subscribe/", report_views.subscribe, name="subscribe"),
    path("report/runs/<int:pk>.xlsx", report_views.run_file, name="run_file"),
    path("dashboard/", dashboard_views.dashboard_page, name="dashboard"),
    path("dashboard/<slug:key>.csv", dashboard_views.dashboard_csv, name="dashboard_csv"),
    path("board/", dashboard_views.board_page, name="board"),
    path("board.json", dashboard_views.board_json, name="board_json"),
]
