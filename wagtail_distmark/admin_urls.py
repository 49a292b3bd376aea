"""The plugin's own admin URLs (its viewsets register theirs), under /admin/distmark/."""

from django.urls import path

from wagtail_distmark.campaigns import test_email, views
from wagtail_distmark.catalogue.admin import import_view
from wagtail_distmark.library.admin import expiring_report

urlpatterns = [
    path("catalogue/import/", import_view, name="catalogue_import"),
    path("library/expiring/", expiring_report, name="library_expiring"),
    path("campaigns/new/", views.gallery, name="campaign_gallery"),
    path("campaigns/<int:pk>/test-email/", test_email.test_email_view, name="campaign_test_email"),
    path(
        "campaigns/templates/<int:pk>/preview/",
        views.template_preview,
        name="campaign_template_preview",
    ),
]
