"""The admin's contact import wizard: upload, column mapping, dry run, import on Celery with
a progress bar, the error report; and the list of the user's imports.

Who may import is the rule ``wagtail_distmark.import_contact`` (on the job's unit); who sees a
job is ``rules.contacts.imports_for_user``: a job outside it is a 404 on every URL here, so
nothing tells another user it exists. The reading, checking and importing are the engine's
(:mod:`wagtail_distmark.contacts.importing`); these views only walk the user through it.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView, View
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn, UserColumn
from wagtail.admin.views.generic.base import BaseListingView, WagtailAdminTemplateMixin
from wagtail.admin.widgets import HeaderButton

from wagtail_distmark.compat import NumberColumn
from wagtail_distmark.contacts import importing
from wagtail_distmark.contacts.hooks import MENU_HOOK
from wagtail_distmark.contacts.import_forms import IMPORT_PERMISSION, MappingForm, UploadForm
from wagtail_distmark.contacts.models import ImportJob
from wagtail_distmark.rules.contacts import imports_for_user
from wagtail_distmark.rules.policies import forbidden

logger = logging.getLogger(__name__)
Status = ImportJob.Status
#: A job whose file and mapping may still change (after this, only its status is shown).
EDITABLE = (Status.UPLOADED, Status.CHECKED)
IN_PROGRESS = (Status.QUEUED, Status.RUNNING)
NOT_QUEUED = _("The import could not be started. Try again in a few minutes.")
#: How often the status page asks for the job's progress, in milliseconds.
POLL_MS = 1500


def url(name: str, job: ImportJob | None = None) -> str:
    args = [job.pk] if job is not None else []
    return reverse(f"wagtail_distmark:{name}", args=args)


def visible_job(request, pk) -> ImportJob:
    """The job, if the user may see it; a 404 otherwise (whether it exists or not)."""
    jobs = imports_for_user(request.user).select_related("unit", "communication_type")
    return get_object_or_404(jobs, pk=pk)


def percent_done(job: ImportJob) -> int | None:
    """How far the import is, in percent; ``None`` while its size is not known yet (and
    while the dry run counts the rows)."""
    if importing.is_checking(job):
        return None
    if job.status == Status.DONE:
        return 100
    if not job.total_rows:
        return None if job.status in IN_PROGRESS else 0
    return min(100, job.processed_rows * 100 // job.total_rows)


def refuse(request):
    """A 403 page (Wagtail would turn ``PermissionDenied`` into a redirect home)."""
    message = _("Importing contacts is for unit managers and above, on units in their scope.")
    return forbidden(request, "import", None, message=message)


class ImportScreen(WagtailAdminTemplateMixin):
    """Wagtail's slim header, with "Contact imports" in the breadcrumbs; :meth:`guard`
    decides who may come in, a refusal being a 403 page."""

    header_icon = "upload"

    def dispatch(self, request, *args, **kwargs):
        try:
            return self.guard(request, kwargs) or super().dispatch(request, *args, **kwargs)
        except PermissionDenied:
            return refuse(request)
        except importing.FileRefused as refusal:  # the stored file went missing or changed
            messages.error(request, " ".join(refusal.messages))
            return redirect(url("contacts_import"))

    def guard(self, request, kwargs):
        """Raise ``PermissionDenied`` (or ``Http404``), or return a response that ends the
        request early; ``None`` lets it through."""
        if not request.user.has_perm(IMPORT_PERMISSION):
            raise PermissionDenied
        return None

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": url("contacts_imports"), "label": _("Contact imports")},
            {"url": "", "label": self.get_page_title()},
        ]


class JobScreen(ImportScreen):
    """A step of one job: visible to the user (else 404), and while it may still change,
    only to a user who may import to its unit (else 403)."""

    editing = True
    #: The job's statuses this step acts on; any other shows the job's status page.
    statuses = EDITABLE

    def guard(self, request, kwargs):
        self.job = visible_job(request, kwargs["pk"])
        if not self.editing:
            return None
        if self.job.status not in self.statuses:
            return redirect(url("contacts_import_status", self.job))
        if not request.user.has_perm(IMPORT_PERMISSION, self.job.unit):
            raise PermissionDenied
        return None

    def get_page_subtitle(self):
        return self.job.original_name

    def get_context_data(self, **kwargs):
        return super().get_context_data(job=self.job, **kwargs)


class UploadView(ImportScreen, FormView):
    """Step 1: the file, the default unit, the consent to record and its evidence. A file
    the engine cannot read is refused on the file field, the other answers kept."""

    template_name = "wagtail_distmark/contacts/import_upload.html"
    form_class = UploadForm
    page_title = _("Import contacts")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        job = form.save()
        try:
            importing.sniff(job)  # stores the format, encoding and delimiter it detects
        except importing.FileRefused as refusal:
            job.file.delete(save=False)
            job.delete()
            form.add_error("file", refusal)
            return self.form_invalid(form)
        return redirect(url("contacts_import_mapping", job))

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            action_url=url("contacts_import"), submit_button_label=_("Upload"), **kwargs
        )


class MappingView(JobScreen, FormView):
    """Step 2: what each column holds, offered from the targets the user may import,
    pre-filled with the job's mapping or the one the user chose last for these headers."""

    template_name = "wagtail_distmark/contacts/import_mapping.html"
    form_class = MappingForm
    page_title = _("Match the columns")

    @cached_property
    def sniffed(self):
        return importing.preview(self.job)  # with what the upload detected and stored

    def get_initial(self):
        user, headers = self.request.user, self.sniffed.headers
        mapping = self.job.mapping or importing.suggest_mapping(headers, user)
        return MappingForm.initial_for(headers, mapping)

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "headers": self.sniffed.headers,
            "sample": self.sniffed.sample,
            "targets": importing.mapping_targets(self.request.user),
            "user": self.request.user,
        }

    def form_valid(self, form):
        mapping = form.mapping()
        importing.remember_mapping(self.request.user, mapping)
        check(self.job, mapping)
        return redirect(url("contacts_import_dry_run", self.job))

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            action_url=url("contacts_import_mapping", self.job),
            submit_button_label=_("Check the file"),
            rows_shown=len(self.sniffed.sample),
            **kwargs,
        )


def check(job: ImportJob, mapping: dict) -> None:
    """Save the mapping and start its dry run on Celery. With eager Celery it runs right
    here and stores its own refusal or error on the job; if it could not even be queued (the
    broker unreachable), the dry-run page says so instead of waiting for ever."""
    try:
        importing.start_dry_run(job, mapping)
    except Exception:  # noqa: BLE001 - whatever the task or the broker raised
        logger.exception("Dry run of contact import %s could not be queued or stopped", job.pk)
        importing.refuse_dry_run(job, str(importing.NOT_CHECKED))


class DryRunView(JobScreen, TemplateView):
    """Step 3: what the import would do (counts, first errors), nothing written; then
    "Import" or "Change mapping". The dry run runs on Celery once the mapping is saved: this
    page only reads what it stored (its progress while it runs, polled like the import's)."""

    template_name = "wagtail_distmark/contacts/import_dry_run.html"
    page_title = _("Check before importing")

    def get(self, request, *args, **kwargs):
        if not self.job.mapping:
            return redirect(url("contacts_import_mapping", self.job))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        job = self.job
        checked = job.status == Status.CHECKED
        return super().get_context_data(
            checking=importing.is_checking(job),
            result=importing.stored_dry_run(job) if checked else None,
            progress_url=url("contacts_import_progress", job),
            poll_ms=POLL_MS,
            status_url=url("contacts_import_dry_run", job),
            start_url=url("contacts_import_start", job),
            mapping_url=url("contacts_import_mapping", job),
            **kwargs,
        )


class StartView(JobScreen, View):
    """Step 4 (POST only): queue the import on Celery, then show its progress. A failed
    import is started again the same way: it resumes after its last committed row."""

    http_method_names = ["post"]
    statuses = (*EDITABLE, Status.FAILED)

    def post(self, request, *args, **kwargs):
        if not self.job.mapping:
            return redirect(url("contacts_import_mapping", self.job))
        queue(self.job)
        return redirect(url("contacts_import_status", self.job))


def queue(job: ImportJob) -> None:
    """Queue the import. With eager Celery (the demo, the tests) it runs right here, and an
    error it raises is already on the job (FAILED, with its message): the status page says
    so instead of a 500. A job still queued after an error (the broker unreachable) fails."""
    try:
        importing.start_import(job)
    except Exception:  # noqa: BLE001 - whatever the task or the broker raised
        logger.exception("Contact import %s could not be queued or stopped", job.pk)
        ImportJob.objects.filter(pk=job.pk, status=Status.QUEUED).update(
            status=Status.FAILED, message=str(NOT_QUEUED), finished_at=timezone.now()
        )


class StatusView(JobScreen, TemplateView):
    """The job's progress bar (polled by ``contact_import.js``; a refresh link without JS),
    its counts and message when finished, and the link to its error report."""

    template_name = "wagtail_distmark/contacts/import_status.html"
    page_title = _("Contact import")
    editing = False

    def get(self, request, *args, **kwargs):
        job = self.job
        if job.status in EDITABLE and request.user.has_perm(IMPORT_PERMISSION, job.unit):
            return redirect(next_step(job))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        job = self.job
        return super().get_context_data(
            percent=percent_done(job),
            in_progress=job.status in IN_PROGRESS,
            progress_url=url("contacts_import_progress", job),
            start_url=url("contacts_import_start", job),
            kept_unsubscribed=importing.kept_unsubscribed(job) if job.finished_at else 0,
            can_resume=job.status == Status.FAILED
            and bool(job.file)  # kept for "Resume" until purged
            and self.request.user.has_perm(IMPORT_PERMISSION, job.unit),
            status_url=url("contacts_import_status", job),
            report_url=url("contacts_import_report", job),
            poll_ms=POLL_MS,
            **kwargs,
        )


def next_step(job: ImportJob) -> str:
    """Where a job not started yet is taken up: its mapping, or once mapped its dry run."""
    if not job.mapping:
        return url("contacts_import_mapping", job)
    return url("contacts_import_dry_run", job)


def progress(request, pk):
    """The job's progress as JSON, for the status page's poller (scoped like the page)."""
    job = visible_job(request, pk)
    return JsonResponse(
        {
            "status": job.status,
            "status_label": str(job.get_status_display()),
            "finished": job.status not in IN_PROGRESS and not importing.is_checking(job),
            "percent": percent_done(job),
            "total_rows": job.total_rows,
            "processed_rows": job.processed_rows,
            "created": job.created_count,
            "updated": job.updated_count,
            "unchanged": job.unchanged_count,
            "errors": job.error_count,
        }
    )


def report(request, pk):
    """The job's error report (CSV: line, column, reason), as a download."""
    job = visible_job(request, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="contact-import-{job.pk}-errors.csv"'
    importing.write_report(job, response)
    return response


class ReportColumn(Column):
    """A link to the job's error report, when it has errors."""

    cell_template_name = "wagtail_distmark/contacts/import_report_cell.html"

    def get_value(self, instance):
        if instance.status not in (Status.DONE, Status.FAILED):
            return ""
        return url("contacts_import_report", instance)


class ImportListView(ImportScreen, BaseListingView):
    """Step 5: the user's imports (HQ: everyone's), newest first."""

    page_title = _("Contact imports")
    header_icon = "list-ul"
    model = ImportJob
    paginate_by = 20
    index_url_name = "wagtail_distmark:contacts_imports"
    verbose_name_plural = _("contact imports")
    columns = [
        TitleColumn(
            "original_name",
            label=_("File"),
            get_url=lambda job: url("contacts_import_status", job),
        ),
        Column("unit", label=_("Unit")),
        UserColumn("created_by", label=_("Imported by")),
        Column("status", label=_("Status"), accessor="get_status_display"),
        NumberColumn("total_rows", label=_("Rows")),
        NumberColumn("created_count", label=_("Created")),
        NumberColumn("updated_count", label=_("Updated")),
        NumberColumn("unchanged_count", label=_("Unchanged")),
        NumberColumn("error_count", label=_("Errors")),
        DateColumn("created_at", label=_("Started")),
        ReportColumn("report", label=_("Error report")),
    ]

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def get_base_queryset(self):
        jobs = imports_for_user(self.request.user).select_related("unit", "created_by")
        return jobs.order_by("-created_at")

    def get_header_buttons(self):
        return [HeaderButton(_("Import contacts"), url=url("contacts_import"), icon_name="upload")]


class ImportMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(IMPORT_PERMISSION)


@hooks.register(MENU_HOOK)
def register_import_menu_item():
    return ImportMenuItem(
        _("Import contacts"), url("contacts_import"), icon_name="upload", order=300
    )


@hooks.register(MENU_HOOK)
def register_imports_menu_item():
    return ImportMenuItem(_("Imports"), url("contacts_imports"), icon_name="list-ul", order=310)


urlpatterns = [
    path("contacts/import/", UploadView.as_view(), name="contacts_import"),
    path("contacts/imports/", ImportListView.as_view(), name="contacts_imports"),
    path(
        "contacts/import-jobs/<int:pk>/",
        StatusView.as_view(),
        name="contacts_import_status",
    ),
    path(
        "contacts/import-jobs/<int:pk>/mapping/",
        MappingView.as_view(),
        name="contacts_import_mapping",
    ),
    path(
        "contacts/import-jobs/<int:pk>/check/",
        DryRunView.as_view(),
        name="contacts_import_dry_run",
    ),
    path(
        "contacts/import-jobs/<int:pk>/start/",
        StartView.as_view(),
        name="contacts_import_start",
    ),
    path("contacts/import-jobs/<int:pk>/progress/", progress, name="contacts_import_progress"),
    path("contacts/import-jobs/<int:pk>/report/", report, name="contacts_import_report"),
]
