"""The recipient's own links (one-click unsubscribe, view online) belong in the body only:
in a subject or preheader they travel in notifications, logs and forwards (attacker)."""

import pytest
from django.core.exceptions import ValidationError

from wagtail_distmark.markup.merge_tags import validate_header_tags, validate_merge_tags


@pytest.mark.parametrize("tag", ["unsubscribe_url", "view_online_url"])
def test_a_private_link_is_refused_in_a_subject(tag):
    with pytest.raises(ValidationError) as refused:
        validate_header_tags(f"Hello {{{{ {tag} }}}}")
    assert refused.value.code == "private_link_tag"
    validate_merge_tags(f"Hello {{{{ {tag} }}}}")  # the body may carry it


def test_a_subject_may_use_the_contacts_and_units_tags():
    validate_header_tags("Autumn at {{ unit.name }}, {{ contact.first_name }}")
    validate_header_tags("")


@pytest.mark.django_db
def test_a_campaign_subject_with_the_unsubscribe_link_is_an_error_on_the_field(net, brand_template):
    from wagtail_distmark.models import LocalCampaign

    brand_template.subject_editable = True
    campaign = LocalCampaign(unit=net.units["a"], template=brand_template, name="x",
                             subject="Leave: {{ unsubscribe_url }}")  # fmt: skip
    errors = campaign.text_field_errors("subject")
    assert errors and "never in its subject" in errors[0]
    campaign.subject = "Autumn at {{ unit.name }}"
    assert campaign.text_field_errors("subject") == []
