"""STUB written by the lead: the export helper replaces this module (the URL name is fixed)."""

from django.http import Http404
from django.urls import path


def export_contacts(request):
    raise Http404


urlpatterns = [path("contacts/export/", export_contacts, name="contacts_export")]
