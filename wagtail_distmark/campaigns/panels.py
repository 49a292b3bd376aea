"""The zones panel of the campaign editor: the whole e-mail in the template's order."""

import re

from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from wagtail.admin.panels import ObjectList, Panel

from wagtail_distmark.blocks import EmailContext
from wagtail_distmark.markup.mjml import DEFAULT_HEAD, compile_mjml, document

#: Height (rem) of a locked zone's preview: the sandboxed frame cannot size itself.
PREVIEW_HEIGHTS = {
    "logo_header": 8, "hero": 26, "image": 22, "two_columns": 24, "offer": 14,
    "product_grid": 20, "local_footer": 10, "legal_footer": 8, "social_links": 6,
    "spacer": 4, "raw_mjml": 20,
}  # fmt: skip


#: An ``<a …>`` start tag (attribute values may hold ``>``), and its ``href``/``target``.
LINK_TAG = re.compile(r"""<a\b(?:[^>"']|"[^"]*"|'[^']*')*>""", re.IGNORECASE)
LINK_ATTRIBUTE = re.compile(
    r"""\s(?:href|target)\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+)""", re.IGNORECASE
)


def without_links(html: str) -> str:
    """A locked zone's preview with its links made plain text: nothing in it takes the
    keyboard focus, and Enter or a click never navigates the frame (to an error page)."""
    return LINK_TAG.sub(lambda tag: LINK_ATTRIBUTE.sub("", tag.group(0)), html)


class ZonesPanel(Panel):
    """Locked zones rendered with a padlock and no input; the others as inputs with limits."""

    def get_form_options(self):
        # The form rebuilds "body" from its zone inputs (LocalCampaignForm).
        return {"fields": ["body"]}

    class BoundPanel(Panel.BoundPanel):
        template_name = "wagtail_distmark/campaigns/zones_panel.html"

        class Media:
            css = {"all": ["wagtail_distmark/css/network.css"]}
            # After Wagtail's block definitions, which it patches (see the file).
            js = ["wagtailadmin/js/telepath/blocks.js", "wagtail_distmark/js/zones.js"]

        @cached_property
        def zones(self):
            context = EmailContext(
                unit=self.instance.unit, base_url=self.request.build_absolute_uri("/")
            )
            return [
                {
                    "view": view,
                    "field": self.form[view.field_name] if view.field_name else None,
                    "errors": self.form.zone_errors(view.field_name) if view.field_name else [],
                    "html": self.zone_html(view.zone, context) if view.locked else "",
                    "height": PREVIEW_HEIGHTS.get(view.zone.block_type, 12),
                }
                for view in self.form.zone_views
            ]

        def zone_html(self, zone, context) -> str:
            block, value = zone.block.content_block, zone.value.content
            head = DEFAULT_HEAD + (
                block.render_head(value) if hasattr(block, "render_head") else ""
            )
            title = f"{self.instance.name} — {zone.block.label}"
            body = block.render_mjml(value, context)
            html = compile_mjml(document(body, title=title, head=head, lang=context.language))
            return without_links(html)

        def get_context_data(self, parent_context=None):
            return {**super().get_context_data(parent_context), "zones": self.zones}


class CampaignEditHandler(ObjectList):
    """The campaign form's top panel: the zone inputs are rendered by :class:`ZonesPanel`."""

    class BoundPanel(ObjectList.BoundPanel):
        def render_missing_fields(self):
            claimed = set(self.panel.get_form_options().get("fields", []))
            claimed |= {view.field_name for view in self.form.zone_views if view.field_name}
            missing = (str(self.form[name]) for name in self.form.fields if name not in claimed)
            return mark_safe("".join(missing))  # noqa: S308 - rendered form fields
