"""Wagtail's own per-file image and document screens, guarded by the org tree, and the
Images and Documents indexes that also list the brand files a unit may use (``browse.py``).

Wagtail answers a refused image or document URL with a redirect to the dashboard. These
patterns are registered ahead of Wagtail's (same paths) and, for the network's users, answer
first: 404 for a file the user may not even see, a 403 page for one they may see (e.g. a brand
image) but not change. Only then does Wagtail's own view run, with its own checks. Superusers
and users outside the network get Wagtail's behaviour unchanged.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from wagtail.documents import get_document_model
from wagtail.documents.views import documents as document_views
from wagtail.documents.views import multiple as document_multiple
from wagtail.documents.views.chooser import viewset as document_chooser
from wagtail.images import get_image_model
from wagtail.images.views import images as image_views
from wagtail.images.views import multiple as image_multiple
from wagtail.images.views.chooser import viewset as image_chooser

from wagtail_distmark import compat
from wagtail_distmark.ids import parse_pk
from wagtail_distmark.library.browse import DocumentIndexView, ImageIndexView
from wagtail_distmark.rules.scope import is_network_member

CHANGE, CHOOSE = "change", "choose"


def guard(view, get_model, id_kwarg: str, index_url_name: str, action: str = CHANGE):
    """Wrap ``view``: the user must be allowed to ``action`` the file it is about."""

    def guarded(request, *args, **kwargs):
        if not is_network_member(request.user):  # Wagtail's own checks and answers
            return view(request, *args, **kwargs)
        model = get_model()
        pk = parse_pk(model, kwargs[id_kwarg])  # a crafted id ("abc", "²") is a 404
        if pk is None:
            raise Http404(_("No file matches the given query."))
        instance = get_object_or_404(model, pk=pk)
        policy = compat.registered_policy(model)  # registered: these URLs need Wagtail 8
        user = request.user
        if not policy.user_has_any_permission_for_instance(user, [CHANGE, CHOOSE], instance):
            raise Http404(_("No file matches the given query."))
        if not policy.user_has_permission_for_instance(user, action, instance):
            return TemplateResponse(
                request,
                "wagtail_distmark/network/forbidden.html",
                {
                    "message": _("You may use this file in your campaigns, not change it."),
                    "back_url": reverse(index_url_name),
                    "back_label": _("Back to the library"),
                },
                status=403,
            )
        return view(request, *args, **kwargs)

    return guarded


def image(route, view, id_kwarg="image_id", action=CHANGE):
    guarded = guard(view, get_image_model, id_kwarg, "wagtailimages:index", action)
    return path(f"images/{route}", guarded)


def document(route, view, id_kwarg="document_id", action=CHANGE):
    guarded = guard(view, get_document_model, id_kwarg, "wagtaildocs:index", action)
    return path(f"documents/{route}", guarded)


def guarded_urlpatterns():
    return [
        path("images/", ImageIndexView.as_view()),
        path("images/results/", ImageIndexView.as_view(results_only=True)),
        path("documents/", DocumentIndexView.as_view()),
        path("documents/results/", DocumentIndexView.as_view(results_only=True)),
        image("<int:image_id>/", image_views.EditView.as_view()),
        image("<int:image_id>/delete/", image_views.DeleteView.as_view()),
        image("<int:image_id>/generate_url/", image_views.URLGeneratorView.as_view()),
        image(
            "<int:image_id>/generate_url/output/",
            image_views.URLGeneratorView.as_view(output_only=True),
        ),
        image("<int:image_id>/preview/<str:filter_spec>/", image_views.preview),
        image("usage/<int:image_id>/", image_views.UsageView.as_view()),
        image("multiple/<int:image_id>/", image_multiple.EditView.as_view()),
        image("multiple/<int:image_id>/delete/", image_multiple.DeleteView.as_view()),
        image("chooser/chosen/<str:pk>/", image_chooser.chosen_view, "pk", CHOOSE),
        document("chooser/chosen/<str:pk>/", document_chooser.chosen_view, "pk", CHOOSE),
        document("edit/<int:document_id>/", document_views.EditView.as_view()),
        document("delete/<int:document_id>/", document_views.DeleteView.as_view()),
        document("usage/<int:document_id>/", document_views.UsageView.as_view()),
        document("multiple/<int:doc_id>/", document_multiple.EditView.as_view(), "doc_id"),
        document("multiple/<int:doc_id>/delete/", document_multiple.DeleteView.as_view(), "doc_id"),
    ]
