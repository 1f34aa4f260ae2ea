from django.urls import path

from . import views

app_name = "notices"

urlpatterns = [
    path("", views.notice_list, name="list"),
    path("new/", views.notice_new, name="new"),
    path("inbox/", views.staff_inbox, name="inbox"),
    path("preview/", views.notice_preview, name="preview"),
    path("mine/", views.resident_list, name="mine"),
    path("mine/<int:pk>/", views.resident_detail, name="mine_detail"),
    path("attachments/<int:pk>/", views.attachment_file, name="file"),
    path("<int:pk>/", views.notice_detail, name="detail"),
    path("<int:pk>/edit/", views.notice_edit, name="edit"),
    path("<int:pk>/files/<int:file_pk>/delete/", views.attachment_delete, name="file_delete"),
    path("<int:pk>/<str:action>/", views.notice_act, name="act"),
]
