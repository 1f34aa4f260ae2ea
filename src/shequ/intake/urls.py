from django.urls import path

from . import views

app_name = "intake"

urlpatterns = [
    path("versions/", views.version_list, name="versions"),
    path("versions/train/", views.train, name="train"),
    path("versions/<int:number>/activate/", views.activate, name="activate"),
    path("runs/<int:pk>/", views.run_progress, name="run"),
]
