"""The export, erasure and access-request screens, their menu item and their log actions.

- ``contacts/export/?<listing query>``: what an export of the listing's filter holds (row
  count, fields), a format; POST starts the export (built at once, or on Celery when large).
- ``contacts/export-jobs/``: the exports the user may see (``rules.contacts.exports_for_user``),
  each with who, when, filter and row count; ``…/<pk>/`` its status; ``…/<pk>/download/`` the
  file, for its creator (HQ: every one) until the link expires, always as an attachment.
- ``contacts/<pk>/erase/`` and ``contacts/<pk>/access-request/``: a confirmation on GET, the
  action on POST only.
"""

from __future__ import annotations

import logging

from django import forms
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn, UserColumn
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views.generic.base import BaseListingView, WagtailAdminTemplateMixin
from wagtail.admin.widgets import HeaderButton
from wagtail.log_actions import LogFormatter, log

from wagtail_distmark.conf import get_export_inline_limit
from wagtail_distmark.contacts import exporting, filtering, tasks
from wagtail_distmark.contacts.erasure import (
    ACCESS_ACTION,
    ACCESS_PERMISSION,
    ERASE_ACTION,
    ERASE_PERMISSION,
    erase_contact,
    request_access,
)
from wagtail_distmark.contacts.hooks import MENU_HOOK
from wagtail_distmark.contacts.models import Contact, ContactAttribute, ExportJob
from wagtail_distmark.rules.contacts import exports_for_user
from wagtail_distmark.rules.policies import forbidden

logger = logging.getLogger(__name__)

EXPORT_PERMISSION = exporting.EXPORT_PERMISSION
TEMPLATES = "wagtail_distmark/contacts/"
DOWNLOAD_ACTION = "wagtail_distmark.download_export"


def url(name: str, *args) -> str:
    return reverse(f"wagtail_distmark:{name}", args=args)


def contacts_url(name: str, *args) -> str:
    """A URL of the contacts viewset (``admin.ContactViewSet``), or "" without it."""
    try:
        return reverse(f"distmark_contacts:{name}", args=args)
    except NoReverseMatch:
        return ""


def exports_crumb() -> dict:
    return {"url": url("contacts_exports"), "label": _("Exports")}


# Starting an export ------------------------------------------------------------------------


class ExportForm(forms.Form):
    file_format = forms.ChoiceField(
        label=_("Format"),
        choices=list(exporting.FORMATS.items()),
        initial="csv",
        widget=forms.RadioSelect,
    )


def refuse_export(request):
    """A 403 page (Wagtail would turn ``PermissionDenied`` into a redirect home)."""
    message = _("Exporting contacts is for unit managers and above.")
    return forbidden(request, "export", None, message=message)


def field_labels(names: list[str]) -> list[str]:
    """What the screen calls each exported field (an attribute by its label)."""
    attributes = dict(ContactAttribute.objects.values_list("key", "label"))
    standard = {name: Contact._meta.get_field(name).verbose_name
                for name in Contact.PERSONAL_FIELDS}  # fmt: skip
    return [str(standard.get(name) or attributes.get(name, name)) for name in names]


def start_export(user, filters: dict, file_format: str) -> ExportJob:
    """Record the job (its filter and the fields the user sees now) and build its file: at
    once when small, else on Celery once the job row is committed."""
    count = exporting.export_queryset(user, filters).count()
    fields = exporting.export_fields(user)
    job = ExportJob.objects.create(created_by=user, filters=filters, file_format=file_format,
                                   fields=fields, row_count=count)  # fmt: skip
    if count > get_export_inline_limit():
        tasks.export_contacts.delay_on_commit(job.pk)
        return job
    try:
        exporting.run_export(job.pk)
    except Exception:  # noqa: BLE001 -- run_export logged it and marked the job failed
        logger.debug("Inline export %s failed", job.pk)
    return job


class ExportView(WagtailAdminTemplateMixin, TemplateView):
    """The listing's filter (its query string) exported in a chosen format."""

    template_name = TEMPLATES + "export_form.html"
    page_title = _("Export contacts")
    header_icon = "download"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(EXPORT_PERMISSION):
            return refuse_export(request)
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def filters(self) -> dict:
        return exporting.bounded_filters(self.request.GET)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, exports_crumb(), {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        fields = exporting.export_fields(self.request.user)
        count = exporting.export_queryset(self.request.user, self.filters).count()
        kwargs.setdefault("form", ExportForm())
        return super().get_context_data(
            count=count, fields=field_labels(fields),
            filter=exporting.describe_filters(self.filters),
            in_background=count > get_export_inline_limit(), **kwargs,
        )  # fmt: skip

    def post(self, request):
        form = ExportForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        job = start_export(request.user, self.filters, form.cleaned_data["file_format"])
        return redirect(url("contacts_export_job", job.pk))


# The exports listing, a job's page and its download ----------------------------------------


def job_title(job: ExportJob) -> str:
    if job.subject_id:
        return str(_("Access request #%(pk)s") % {"pk": job.pk})
    return str(job)


def expiry(job: ExportJob) -> str:
    """When the link expires, as a date (Wagtail's "time ago" cell says nothing of the future)."""
    if job.expires_at is None:
        return ""
    return date_format(timezone.localtime(job.expires_at), "DATETIME_FORMAT")


class ExportIndexView(BaseListingView):
    """Who exported what, when, with which filter, how many rows (the audit, on screen)."""

    page_title = _("Exports")
    header_icon = "download"
    paginate_by = 50
    verbose_name_plural = _("contact exports")
    index_url_name = "wagtail_distmark:contacts_exports"
    columns = [
        TitleColumn("title", label=_("Export"), accessor=job_title,
                    get_url=lambda job: url("contacts_export_job", job.pk)),
        UserColumn("created_by", label=_("Exported by")),
        DateColumn("created_at", label=_("When")),
        Column("filter", label=_("Filter"),
               accessor=lambda job: exporting.describe_filters(job.filters)),
        Column("row_count", label=_("Rows")),
        Column("status", label=_("Status"), accessor="get_status_display"),
        Column("expires_at", label=_("Link expires"), accessor=expiry),
    ]  # fmt: skip

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(EXPORT_PERMISSION):
            return refuse_export(request)
        return super().dispatch(request, *args, **kwargs)

    def get_base_queryset(self):
        return exports_for_user(self.request.user).select_related("created_by")

    def get_header_buttons(self):
        return [HeaderButton(_("New export"), url=url("contacts_export"), icon_name="download")]


def visible_job(request, pk) -> ExportJob:
    """The job, if the user may see it: its creator (HQ: every one) who may still export
    (answer access requests, for one of those); else 404."""
    job = get_object_or_404(exports_for_user(request.user), pk=pk)
    permission = ACCESS_PERMISSION if job.subject_id else EXPORT_PERMISSION
    if not request.user.has_perm(permission):
        raise Http404
    return job


class ExportJobView(WagtailAdminTemplateMixin, TemplateView):
    template_name = TEMPLATES + "export_job.html"
    header_icon = "download"

    def dispatch(self, request, pk):
        self.job = visible_job(request, pk)
        return super().dispatch(request, pk)

    def get_page_title(self):
        return job_title(self.job)

    def get_breadcrumbs_items(self):
        crumb = {"url": "", "label": self.get_page_title()}
        return [*self.breadcrumbs_items, exports_crumb(), crumb]

    def get_context_data(self, **kwargs):
        job = self.job
        built = job.status == ExportJob.Status.DONE
        expired = built and (exporting.is_expired(job) or not job.file)
        return super().get_context_data(
            job=job, filter=exporting.describe_filters(job.filters),
            fields=field_labels(job.fields) if not job.subject_id else [],
            expired=expired, ready=built and not expired,
            download_url=url("contacts_export_download", job.pk), **kwargs,
        )  # fmt: skip


@require_safe
def download_view(request, pk):
    """The file as an attachment, for its creator (HQ too), until the link expires; an
    expired link deletes the file and says so (410), a foreign one (or a file not built yet)
    is a 404."""
    job = visible_job(request, pk)
    if job.status != ExportJob.Status.DONE:
        raise Http404
    if exporting.is_expired(job) or not job.file:
        exporting.forget_file(job)
        context = {"job": job, "title": job_title(job), "exports_url": url("contacts_exports")}
        return TemplateResponse(request, TEMPLATES + "export_expired.html", context, status=410)
    name = job.file.name.rsplit("/", 1)[-1]
    response = FileResponse(job.file.open("rb"), as_attachment=True, filename=name,
                            content_type=exporting.CONTENT_TYPES.get(job.file_format))  # fmt: skip
    response["Cache-Control"] = "private, no-store"
    log(instance=job, action=DOWNLOAD_ACTION, user=request.user)
    return response


# Erasure and access requests ---------------------------------------------------------------


class ContactActionView(WagtailAdminTemplateMixin, TemplateView):
    """A confirmation on GET, the action on POST, for a contact in the user's scope (else
    404) on which the user holds :attr:`permission` (else 403)."""

    permission = ""
    refusal = ""
    header_icon = "user"

    def dispatch(self, request, pk):
        self.contact = get_object_or_404(Contact.objects.for_user(request.user), pk=pk)
        if not request.user.has_perm(self.permission, self.contact):
            back = contacts_url("inspect", self.contact.pk) or None
            return forbidden(request, self.permission, self.contact, self.refusal, back)
        return super().dispatch(request, pk)

    def get_page_subtitle(self):
        return filtering.contact_label(self.contact, self.request.user)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_header_title()}]

    def get_context_data(self, **kwargs):
        next_url = get_valid_next_url_from_request(self.request)
        next_url = next_url or contacts_url("inspect", self.contact.pk)
        label = filtering.contact_label(self.contact, self.request.user)
        return super().get_context_data(contact=self.contact, label=label, next_url=next_url,
                                        index_url=contacts_url("index"), **kwargs)  # fmt: skip


class EraseView(ContactActionView):
    permission = ERASE_PERMISSION
    refusal = _("Erasing a contact is for the managers of every unit the contact is on.")
    page_title = _("Erase contact")
    template_name = TEMPLATES + "erasure_confirm.html"

    def post(self, request, pk):
        if self.contact.erased_at is None:
            erase_contact(self.contact, request.user)
            messages.success(request, _("The contact was erased; the address is suppressed."))
        done = contacts_url("index") or url("contact_erase", pk)  # the erased page is a 404
        return redirect(done)


class AccessRequestView(ContactActionView):
    permission = ACCESS_PERMISSION
    refusal = _("Access requests are answered by HQ.")
    page_title = _("Access request")
    template_name = TEMPLATES + "erasure_access_request.html"

    def post(self, request, pk):
        job = request_access(self.contact, request.user)
        messages.success(request, _("Everything held about this person is ready to download."))
        return redirect(url("contacts_export_job", job.pk))


# Menu and log actions ----------------------------------------------------------------------


class ExportsMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(EXPORT_PERMISSION)


@hooks.register(MENU_HOOK)
def register_exports_menu_item():
    return ExportsMenuItem(_("Exports"), url("contacts_exports"), name="distmark-contact-exports",
                           icon_name="download", order=500)  # fmt: skip


class ExportLogFormatter(LogFormatter):
    label = _("Export contacts")

    def format_message(self, log_entry):
        data = log_entry.data
        return _("Exported %(rows)s contacts as %(format)s (filter: %(filter)s)") % {
            "rows": data.get("row_count", "?"),
            "format": str(data.get("format", "")).upper(),
            "filter": data.get("filter", ""),
        }


@hooks.register("register_log_actions")
def register_contact_log_actions(actions):
    actions.register_action(exporting.LOG_ACTION)(ExportLogFormatter)
    actions.register_action(DOWNLOAD_ACTION, _("Download export"), _("Export downloaded"))
    actions.register_action(ERASE_ACTION, _("Erase contact"), _("Contact erased"))
    actions.register_action(
        ACCESS_ACTION, _("Access request"), _("Everything held about the contact exported")
    )


urlpatterns = [
    path("contacts/export/", ExportView.as_view(), name="contacts_export"),
    path("contacts/export-jobs/", ExportIndexView.as_view(), name="contacts_exports"),
    path("contacts/export-jobs/<int:pk>/", ExportJobView.as_view(), name="contacts_export_job"),
    path("contacts/export-jobs/<int:pk>/download/", download_view,
         name="contacts_export_download"),
    path("contacts/<int:pk>/erase/", EraseView.as_view(), name="contact_erase"),
    path("contacts/<int:pk>/access-request/", AccessRequestView.as_view(),
         name="contact_access_request"),
]  # fmt: skip
