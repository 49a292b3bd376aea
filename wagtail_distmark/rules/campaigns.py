"""Predicates on brand templates, banned words and local campaigns.

A campaign is judged by its unit (``rules.org``'s "its unit" predicates); a template by the
units it is available to, asked of the gallery's own queryset.
"""

import rules

from wagtail_distmark.campaigns.models import BrandTemplate
from wagtail_distmark.rules.org import (
    has_role_on_its_unit,
    is_distmark_superuser,
    is_head_office,
    is_hq_admin_of_its_unit,
    manages_its_unit,
)
from wagtail_distmark.rules.scope import get_scope


@rules.predicate
def is_unsent(user, campaign) -> bool:
    """What was sent is a record: nobody changes it."""
    return campaign is None or campaign.sent_at is None


@rules.predicate
def has_no_send(user, campaign) -> bool:
    """A campaign that was scheduled or sent keeps its sends (their deliveries are the record
    of who got what): it is never deleted (``Send.campaign`` protects it)."""
    return campaign is None or not campaign.sends.exists()


@rules.predicate
def may_use_template(user, template) -> bool:
    """The template is live, valid and available to one of the user's units.

    Asks the gallery's own queryset, so the rule and the gallery cannot disagree.
    """
    paths = [grant.path for grant in get_scope(user).grants]
    if template is None:
        return bool(paths)
    return BrandTemplate.objects.available_under(paths).filter(pk=template.pk).exists()


can_view_campaign = is_distmark_superuser | has_role_on_its_unit
can_add_campaign = is_distmark_superuser | has_role_on_its_unit
can_change_campaign = (is_distmark_superuser | has_role_on_its_unit) & is_unsent
can_delete_campaign = (is_distmark_superuser | manages_its_unit) & has_no_send
can_unpublish_campaign = (is_distmark_superuser | is_hq_admin_of_its_unit) & is_unsent
can_copy_campaign = can_add_campaign  # the copy is a new campaign of the same unit
#: Brand templates and banned words: HQ's.
can_manage_templates = is_head_office
can_use_template = is_distmark_superuser | may_use_template
