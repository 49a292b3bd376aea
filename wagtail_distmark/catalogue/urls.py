"""The catalogue's CSV import screen (under /admin/distmark/)."""

from django.urls import path

from wagtail_distmark.catalogue.admin import import_view

urlpatterns = [
    path("catalogue/import/", import_view, name="catalogue_import"),
]
