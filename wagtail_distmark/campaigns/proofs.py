""" "Send me a test e-mail": the campaign as its unit would send it, to the current user only."""

import copy

from django.core.mail import EmailMultiAlternatives
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from wagtail.admin import messages

from wagtail_distmark import conf
from wagtail_distmark.campaigns.addresses import sender_address
from wagtail_distmark.campaigns.models import LocalCampaign
from wagtail_distmark.campaigns.previews import preview_links
from wagtail_distmark.campaigns.rendering import compile_campaign, one_line


def header_safe_unit(unit):
    """The unit with line breaks taken out of what goes into headers (a profile saved
    before they were refused must not add a header, nor crash the send)."""
    unit = copy.copy(unit)
    for field in ("name", "sender_name", "sender_email", "reply_to", "email"):
        setattr(unit, field, one_line(getattr(unit, field, "") or ""))
    return unit


def send_test_email(campaign: LocalCampaign, user, base_url: str) -> None:
    revision = campaign.get_latest_revision_as_object()
    compiled = compile_campaign(revision, base_url=base_url)
    email = compiled.personalise(
        {"first_name": user.first_name, "last_name": user.last_name, "email": user.email},
        preview_links(),
    )
    unit = header_safe_unit(campaign.unit)
    message = EmailMultiAlternatives(
        subject=one_line(_("[Test] %(subject)s") % {"subject": email.subject}),
        body=email.text,
        from_email=sender_address(campaign.template, unit),
        to=[user.email],
        reply_to=unit.reply_to_addresses(),
    )
    message.attach_alternative(email.html, "text/html")
    message.send()


def send_test_email_view(request, pk):
    campaign = get_object_or_404(LocalCampaign.objects.for_user(request.user), pk=pk)
    edit_url = reverse("wagtailsnippets_wagtail_distmark_localcampaign:edit", args=[pk])
    if not request.user.email:
        messages.error(request, _("Your account has no e-mail address to send the test to."))
        return redirect(edit_url)
    if request.method == "POST":
        base_url = conf.get_base_url() or request.build_absolute_uri("/")
        send_test_email(campaign, request.user, base_url)
        messages.success(
            request, _("A test of “%(name)s” was sent to %(email)s.")
            % {"name": campaign, "email": request.user.email},
        )  # fmt: skip
        return redirect(edit_url)
    return TemplateResponse(
        request,
        "wagtail_distmark/campaigns/test_email.html",
        {"campaign": campaign, "edit_url": edit_url},
    )
