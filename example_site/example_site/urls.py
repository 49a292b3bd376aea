from pathlib import Path

from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

#: The media folders the development server serves as they are (Wagtail's image files).
PUBLIC_MEDIA_FOLDERS = ("original_images", "images")

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    # What sent e-mails link to: one-click unsubscribe, view online, open and click tracking.
    path("mail/", include("wagtail_distmark.sending.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    # Images only (e-mails embed them): documents are served by Wagtail's view above, which
    # checks who may download them. Never serve MEDIA_ROOT/documents/ directly.
    for folder in PUBLIC_MEDIA_FOLDERS:
        urlpatterns += static(
            f"{settings.MEDIA_URL}{folder}/", document_root=Path(settings.MEDIA_ROOT) / folder
        )

urlpatterns += [path("", include(wagtail_urls))]
