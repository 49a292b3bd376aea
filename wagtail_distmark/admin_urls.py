"""The plugin's own admin URLs (its viewsets register theirs), under /admin/distmark/: each
feature package lists its own."""

from wagtail_distmark.campaigns.urls import urlpatterns as campaign_urls
from wagtail_distmark.catalogue.urls import urlpatterns as catalogue_urls
from wagtail_distmark.contacts.urls import urlpatterns as contact_urls
from wagtail_distmark.sending.admin import urlpatterns as sending_urls

urlpatterns = catalogue_urls + campaign_urls + contact_urls + sending_urls
