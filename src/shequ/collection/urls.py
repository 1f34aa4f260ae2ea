"""Collection pages, mounted at /collection/."""

from django.urls import path

from . import views

app_name = "collection"

urlpatterns = [
    path("", views.task_list, name="tasks"),
    path("tasks/new/", views.task_create, name="task_create"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/cancel/", views.task_cancel, name="task_cancel"),
    path("items/<int:pk>/", views.item_form, name="item"),
    path("coverage/", views.coverage, name="coverage"),
]
