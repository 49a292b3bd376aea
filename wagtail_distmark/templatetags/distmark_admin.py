"""Template tags for the plugin's own admin screens (the ones that are not generic views)."""

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _
from wagtail.admin.templatetags.wagtailadmin_tags import formattedfield

register = template.Library()


@register.simple_tag
def breadcrumb_trail(*labels_and_urls) -> list[dict]:
    """Breadcrumb items for Wagtail's ``slim_header.html``, starting at the dashboard.

    Takes ``label, url`` pairs, the current page's label last (without a URL), the way
    Wagtail's generic views build ``breadcrumbs_items``::

        {% breadcrumb_trail campaigns_label campaigns_url title as breadcrumbs_items %}
    """
    *pairs, current = labels_and_urls
    items = [{"url": reverse("wagtailadmin_home"), "label": _("Home")}]
    links = zip(pairs[::2], pairs[1::2], strict=True)
    items += [{"url": url, "label": label} for label, url in links]
    return [*items, {"url": None, "label": current}]


@register.inclusion_tag("wagtailadmin/shared/formatted_field.html")
def linked_field(field, **kwargs) -> dict:
    """Wagtail's ``{% formattedfield %}``, with the field's errors linked to its input.

    Wagtail shows the errors next to the field and Django marks the input
    ``aria-invalid``; this also names the errors (and the help text) in the input's
    ``aria-describedby``, so a screen reader reads why the value was refused.
    """
    field_id = field.id_for_label
    if not (field.errors and field_id):
        return formattedfield(field, **kwargs)
    error_id = f"{field_id}-errors"
    described_by = [error_id, f"{field_id}-helptext"] if field.help_text else [error_id]
    rendered = field.as_widget(attrs={"aria-describedby": " ".join(described_by)})
    return formattedfield(field, rendered_field=rendered, error_message_id=error_id, **kwargs)
