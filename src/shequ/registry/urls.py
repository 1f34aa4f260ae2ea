"""The community base's pages, mounted at /registry/. Each page module keeps its own urlpatterns."""

from . import dictionary_views, edit_views, import_views, merge_views, views

urlpatterns = [
    *views.urlpatterns,
    *edit_views.urlpatterns,
    *import_views.urlpatterns,
    *merge_views.urlpatterns,
    *dictionary_views.urlpatterns,
]
