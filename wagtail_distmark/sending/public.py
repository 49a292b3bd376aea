"""The public views of a sent e-mail: unsubscribe (RFC 8058 one-click), view online, the open
pixel and click redirects. TODO(public helper): implement."""

from django.http import Http404


def unsubscribe(request, token):
    raise Http404


def view_online(request, token):
    raise Http404


def open_pixel(request, token):
    raise Http404


def click(request, token):
    raise Http404
