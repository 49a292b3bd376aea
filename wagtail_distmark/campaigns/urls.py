from django.urls import path

from wagtail_distmark.campaigns import views

urlpatterns = [
    path("campaigns/new/", views.gallery, name="campaign_gallery"),
    path(
        "campaigns/templates/<int:pk>/preview/",
        views.template_preview,
        name="campaign_template_preview",
    ),
]
