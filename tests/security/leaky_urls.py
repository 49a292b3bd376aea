"""The example site's URLs plus four deliberately broken views, to prove the sweep finds a
view nobody told it about: one leaks another unit's campaign, one crashes, one changes another
unit's campaign on POST while answering 403, one crashes on a crafted ``?user=``."""

from django.http import HttpResponse, HttpResponseForbidden
from django.urls import path

from example_site.urls import urlpatterns as site_urlpatterns
from wagtail_distmark.models import LocalCampaign


def leaky_campaign(request, pk):
    return HttpResponse(LocalCampaign.objects.filter(pk=pk).values_list("name", flat=True))


def crash(request):
    raise ValueError("a view that crashes")


def naive_user_filter(request):
    """Reads ``?user=`` with ``int()``: "²" is a ValueError."""
    return HttpResponse(str(int(request.GET.get("user", "0"))))


def sneaky_rename(request, pk):
    if request.method == "POST":
        LocalCampaign.objects.filter(pk=pk).update(name="renamed")
    return HttpResponseForbidden()


urlpatterns = [
    path("leaky/campaigns/<int:pk>/", leaky_campaign, name="leaky_campaign"),
    path("leaky/crash/", crash, name="leaky_crash"),
    path("leaky/campaigns/<int:pk>/rename/", sneaky_rename, name="leaky_rename"),
    path("leaky/history/", naive_user_filter, name="leaky_history"),
    *site_urlpatterns,
]
