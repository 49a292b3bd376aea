"""The public pages a sent e-mail links to, for the site's ``urls.py``::

    path("mail/", include("wagtail_distmark.sending.urls")),

No login, no cookies: each URL carries a signed token (``sending/tokens.py``).
"""

from django.urls import path

from wagtail_distmark.sending import public

app_name = "wagtail_distmark_public"

urlpatterns = [
    path("u/<str:token>/", public.unsubscribe, name="unsubscribe"),
    path("v/<str:token>/", public.view_online, name="view"),
    path("o/<str:token>.gif", public.open_pixel, name="open"),
    path("c/<str:token>/", public.click, name="click"),
]
