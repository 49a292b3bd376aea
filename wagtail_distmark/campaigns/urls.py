"""The campaign screens that are not Wagtail snippet views (under /admin/distmark/)."""

from django.urls import path

from wagtail_distmark.campaigns import expiring, proofs, views

urlpatterns = [
    path("library/expiring/", expiring.expiring_report, name="library_expiring"),
    path("campaigns/new/", views.gallery, name="campaign_gallery"),
    path("campaigns/<int:pk>/test-email/", proofs.send_test_email_view, name="campaign_test_email"),
    path(
        "campaigns/templates/<int:pk>/preview/",
        views.template_preview,
        name="campaign_template_preview",
    ),
]
