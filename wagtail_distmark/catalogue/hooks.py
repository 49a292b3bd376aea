"""The catalogue's Wagtail hooks: its permission policies and snippet menu group."""

from wagtail.snippets.models import register_snippet

from wagtail_distmark.catalogue.admin import CatalogueGroup
from wagtail_distmark.catalogue.models import Product, ProductAvailability
from wagtail_distmark.rules.policies import register_policies

register_policies([Product, ProductAvailability])
register_snippet(CatalogueGroup)
