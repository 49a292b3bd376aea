"""The zones panel of the campaign editor: the whole e-mail in the template's order."""

from django.utils.functional import cached_property
from wagtail.admin.panels import Panel

from wagtail_distmark.blocks import EmailContext
from wagtail_distmark.email.mjml import compile_mjml, document


class ZonesPanel(Panel):
    """Locked zones rendered with a padlock and no input; the others as inputs with limits."""

    def get_form_options(self):
        # The form rebuilds "body" from its zone inputs (LocalCampaignForm).
        return {"fields": ["body"]}

    class BoundPanel(Panel.BoundPanel):
        template_name = "wagtail_distmark/campaigns/zones_panel.html"

        @cached_property
        def zones(self):
            context = EmailContext(
                unit=self.instance.unit, base_url=self.request.build_absolute_uri("/")
            )
            return [
                {
                    "view": view,
                    "field": self.form[view.field_name] if view.field_name else None,
                    "html": self.zone_html(view.zone, context) if view.locked else "",
                }
                for view in self.form.zone_views
            ]

        def zone_html(self, zone, context) -> str:
            block = zone.block.content_block
            return compile_mjml(document(block.render_mjml(zone.value["content"], context)))

        def get_context_data(self, parent_context=None):
            return {**super().get_context_data(parent_context), "zones": self.zones}
