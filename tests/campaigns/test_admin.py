"""Starting, listing and editing local campaigns in the admin; crafted POSTs are refused."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.campaigns.widgets import zone_widget
from wagtail_distmark.models import LocalCampaign

pytestmark = pytest.mark.django_db

GALLERY = "wagtail_distmark:campaign_gallery"


def snippet_url(action, *args):
    return reverse(f"wagtailsnippets_wagtail_distmark_localcampaign:{action}", args=args)


def start(client, template, unit, name="Autumn in Lyon"):
    return client.post(reverse(GALLERY), {"template": template.pk, "unit": unit.pk, "name": name})


@pytest.fixture
def campaign(net, client_for, brand_template):
    start(client_for(net.users["manager_a"]), brand_template, net.units["a"])
    return LocalCampaign.objects.get()


def test_gallery_starts_a_draft_campaign_with_the_templates_zones(net, client_for, brand_template):
    client = client_for(net.users["editor_a"])
    page = client.get(reverse(GALLERY))
    assert page.status_code == 200
    assert "Autumn promotion" in page.content.decode()
    response = start(client, brand_template, net.units["a"])
    campaign = LocalCampaign.objects.get()
    assert response.status_code == 302 and response.url == snippet_url("edit", campaign.pk)
    assert (campaign.unit, campaign.created_by, campaign.live) == (
        net.units["a"],
        net.users["editor_a"],
        False,
    )
    assert [c.id for c in campaign.body] == ["hero", "offer", "legal"]
    assert campaign.subject == "Autumn at {{ unit.name }}"
    assert campaign.revisions.count() == 1


def test_campaign_for_another_store_is_refused(net, client_for, brand_template):
    response = start(client_for(net.users["manager_c"]), brand_template, net.units["a"])
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not LocalCampaign.objects.exists()


def test_templates_outside_availability_or_validity_are_not_offered(
    net, client_for, brand_template
):
    brand_template.available_to_all = False
    brand_template.save()
    brand_template.available_units.set([net.units["south"]])
    client = client_for(net.users["manager_a"])
    assert "Autumn promotion" not in client.get(reverse(GALLERY)).content.decode()
    assert start(client, brand_template, net.units["a"]).status_code == 200
    assert (
        "Autumn promotion"
        in client_for(net.fresh("manager_c")).get(reverse(GALLERY)).content.decode()
    )
    brand_template.valid_until = timezone.now()
    brand_template.save()
    assert (
        "Autumn promotion"
        not in client_for(net.fresh("manager_c")).get(reverse(GALLERY)).content.decode()
    )
    assert not LocalCampaign.objects.exists()


def test_users_without_a_unit_cannot_open_the_gallery(net, client_for, brand_template):
    hq_only_superuser_free = client_for(net.users["outsider"]).get(reverse(GALLERY))
    assert hq_only_superuser_free.status_code == 302  # no admin access at all


def test_listing_shows_only_campaigns_in_scope(net, client_for, campaign):
    own = client_for(net.users["editor_a"]).get(snippet_url("list"))
    assert own.status_code == 200 and "Autumn in Lyon" in own.content.decode()
    regional = client_for(net.fresh("regional_north")).get(snippet_url("list"))
    assert "Autumn in Lyon" in regional.content.decode()
    other = client_for(net.fresh("manager_c")).get(snippet_url("list"))
    assert other.status_code == 200 and "Autumn in Lyon" not in other.content.decode()


@pytest.mark.parametrize("action", ["edit", "history", "delete", "usage", "preview_on_edit"])
def test_every_campaign_url_is_404_for_another_store(net, client_for, campaign, action):
    response = client_for(net.users["manager_c"]).get(snippet_url(action, campaign.pk))
    assert response.status_code == 404
    assert "Autumn in Lyon" not in response.content.decode()


def flatten(prefix, value):
    """A block value as the admin's StreamField widgets post it."""
    if isinstance(value, dict):
        return {
            k: v
            for name, item in value.items()
            for k, v in flatten(f"{prefix}-{name}", item).items()
        }
    if value is None or value is False:
        return {prefix: ""} if value is None else {}
    return {prefix: "on" if value is True else str(value)}


LOCKED = {"legal"}


def edit_form_data(campaign, body=None, **fields):
    """What the campaign editor posts: one input per editable zone (``zone_<id>-…``)."""
    children = body if body is not None else [dict(c) for c in campaign.body.raw_data]
    data = {"name": campaign.name, "subject": campaign.subject, "preheader": campaign.preheader,
            **fields}  # fmt: skip
    for child in children:
        if child["id"] not in LOCKED:
            data.update(flatten(f"zone_{child['id']}", child["value"]))
    return data


def test_campaign_edit_and_preview_for_its_own_unit(net, client_for, campaign):
    client = client_for(net.users["editor_a"])
    data = edit_form_data(campaign)
    assert client.post(snippet_url("preview_on_edit", campaign.pk), data).status_code == 200
    preview = client.get(snippet_url("preview_on_edit", campaign.pk))
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "Maison Lumière SAS, Paris" in html and "Autumn is here" in html


def body_with(campaign, index, **changes):
    body = [dict(c, value=dict(c["value"])) for c in campaign.body.raw_data]
    body[index]["value"].update(changes)
    return body


def latest_body(campaign):
    campaign.refresh_from_db()
    return campaign.get_latest_revision_as_object().body


def test_editable_and_constrained_zones_save_within_limits(net, client_for, campaign):
    client = client_for(net.users["editor_a"])
    body = body_with(campaign, 0, heading="Autumn at {{ unit.name }}")
    body[1]["value"]["discount"] = 20
    response = client.post(snippet_url("edit", campaign.pk), edit_form_data(campaign, body))
    assert response.status_code == 302
    saved = latest_body(campaign)
    assert saved[0].value["heading"] == "Autumn at {{ unit.name }}"
    assert saved[1].value["discount"] == 20


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"zone_legal-text": "Our own legal text"},
         "Legal footer: this zone is locked by HQ and cannot be changed."),
        ({"body-count": "1", "body-0-type": "legal_footer", "body-0-value-text": "Ours"},
         "The content is saved zone by zone; it cannot be sent whole."),
        ({"zone_offer-discount": "30"}, "between 5 and 20 (it is 30)"),
        ({"zone_hero-heading": "Hi {{ contact.password }}"}, "Unknown merge tag"),
    ],
)  # fmt: skip
def test_crafted_posts_are_refused_and_nothing_is_saved(net, client_for, campaign, extra, message):
    client = client_for(net.users["manager_a"])
    revisions = campaign.revisions.count()
    response = client.post(snippet_url("edit", campaign.pk), {**edit_form_data(campaign), **extra})
    assert response.status_code == 200
    html = response.content.decode()
    assert "could not be saved due to errors" in html
    assert message in html.replace("&quot;", '"').replace("&#x27;", "'")
    if extra.get("zone_offer-discount"):  # shown on the field at fault, naming it
        _, _, errors = zone_widget(html, "offer")
        assert errors["blockErrors"] == {
            "discount": {"messages": [f"Discount (%): This number must be {message}."]}
        }
    assert campaign.revisions.count() == revisions
    assert latest_body(campaign)[2].value["text"] == "Maison Lumière SAS, Paris"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda body: body[:2], "Zones were removed"),
        (lambda body: [*body, {**body[0], "id": "extra"}], "Zones were added"),
        (lambda body: list(reversed(body)), "Zones were reordered"),
        (lambda body: [body[0], body[1], {**body[2], "value": {**body[2]["value"], "text": "x"}}],
         "This zone is locked by HQ"),
    ],
)  # fmt: skip
def test_model_validation_refuses_any_other_way_to_change_zones(campaign, change, message):
    """What an API, an import or a script would go through."""
    campaign.body = change([dict(c) for c in campaign.body.raw_data])
    with pytest.raises(ValidationError) as caught:
        campaign.full_clean()
    assert message in str(caught.value.error_dict["body"][0].as_json_data())


def test_locked_subject_and_banned_words(net, client_for, campaign, brand_template):
    from wagtail_distmark.models import BannedWord

    brand_template.subject_editable = False
    brand_template.save()
    BannedWord.objects.create(text="free")
    client = client_for(net.users["manager_a"])
    body = body_with(campaign, 0, heading="Free candles for all")
    response = client.post(
        snippet_url("edit", campaign.pk), edit_form_data(campaign, body, subject="My subject")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "HQ has locked this field." in html
    assert "These words are not allowed by the brand: Free." in html
    assert campaign.revisions.count() == 1


def test_post_to_another_stores_campaign_is_404_and_changes_nothing(net, client_for, campaign):
    client = client_for(net.users["manager_c"])
    body = body_with(campaign, 0, heading="Hijacked")
    assert (
        client.post(snippet_url("edit", campaign.pk), edit_form_data(campaign, body)).status_code
        == 404
    )
    assert client.post(snippet_url("delete", campaign.pk)).status_code == 404
    assert campaign.revisions.count() == 1
    assert LocalCampaign.objects.filter(pk=campaign.pk).exists()


def test_hq_fix_to_a_locked_zone_reaches_unsent_campaigns(net, campaign, brand_template):
    body = brand_template.body.raw_data
    body[2]["value"]["content"]["text"] = "Maison Lumière SAS, 12 rue des Lanternes, Paris"
    brand_template.save()
    campaign.refresh_from_db()
    email = campaign.compile(base_url="https://brand.example").personalise({"first_name": "Ana"})
    assert "12 rue des Lanternes" in email.html
    assert email.subject == "Autumn at Store A"


def test_campaigns_of_an_expired_template_are_flagged(net, client_for, campaign, brand_template):
    assert (
        "Expired" not in client_for(net.users["editor_a"]).get(snippet_url("list")).content.decode()
    )
    brand_template.valid_until = timezone.now()
    brand_template.save()
    client = client_for(net.users["editor_a"])
    listing = client.get(snippet_url("list")).content.decode()
    assert "Expired" in listing
    editor = client.get(snippet_url("edit", campaign.pk)).content.decode()
    assert "The template of this campaign has expired" in editor


def test_editor_cannot_delete_but_manager_can(net, client_for, campaign):
    editor = client_for(net.users["editor_a"])
    editor.post(snippet_url("delete", campaign.pk))
    assert LocalCampaign.objects.filter(pk=campaign.pk).exists()
    manager = client_for(net.fresh("manager_a"))
    assert manager.post(snippet_url("delete", campaign.pk)).status_code == 302
    assert not LocalCampaign.objects.filter(pk=campaign.pk).exists()


def test_constrained_zones_show_their_limits_and_live_character_counters(
    net, client_for, brand_template
):
    brand_template.body.raw_data[1]["value"]["constraints"]["max_chars"] = 30
    brand_template.save()
    start(client_for(net.users["manager_a"]), brand_template, net.units["a"])
    campaign = LocalCampaign.objects.get()
    html = client_for(net.users["manager_a"]).get(snippet_url("edit", campaign.pk)).content
    html = html.decode().replace("&quot;", '"')
    assert "Limits: at most 30 characters per text; numbers from 5 to 20" in html
    assert '"maxLength": 30' in html
    assert html.count("Locked by HQ") == 1  # the legal footer, without any input
    assert "zone_offer" in html and "zone_legal" not in html  # no input for a locked zone


def test_user_of_two_stores_chooses_the_unit(net, client_for, brand_template):
    from wagtail_distmark.models import Membership

    Membership.objects.create(user=net.users["manager_a"], unit=net.units["c"], role="unit_manager")
    brand_template.available_to_all = False
    brand_template.save()
    brand_template.available_units.set([net.units["south"]])
    client = client_for(net.fresh("manager_a"))
    page = client.get(reverse(GALLERY)).content.decode()
    assert "Autumn promotion" in page and "Store C" in page
    assert start(client, brand_template, net.units["a"]).status_code == 200  # not for Store A
    assert not LocalCampaign.objects.exists()
    assert start(client, brand_template, net.units["c"]).status_code == 302
    assert LocalCampaign.objects.get().unit == net.units["c"]


def test_sent_campaigns_keep_what_was_sent_and_cannot_be_changed(
    net, client_for, campaign, brand_template
):
    campaign.freeze_for_sending()
    brand_template.body.raw_data[2]["value"]["content"]["text"] = "New legal text"
    brand_template.subject = "Changed by HQ"
    brand_template.save()
    campaign.refresh_from_db()
    email = campaign.compile().personalise({"first_name": "Ana"})
    assert "Maison Lumière SAS, Paris" in email.html and "New legal text" not in email.html
    assert email.subject == "Autumn at Store A"
    client = client_for(net.users["manager_a"])
    body = body_with(campaign, 0, heading="After the send")
    response = client.post(snippet_url("edit", campaign.pk), edit_form_data(campaign, body))
    assert response.status_code in (302, 403)  # Wagtail's permission-denied redirect
    assert latest_body(campaign)[0].value["heading"] == "Autumn is here"


def test_compiled_email_is_cached_until_something_it_shows_changes(net, campaign, monkeypatch):
    from wagtail_distmark.campaigns import rendering as render

    calls = []
    original = render.compile_email
    monkeypatch.setattr(
        render, "compile_email", lambda *a, **k: calls.append(1) or original(*a, **k)
    )
    campaign.compile()
    campaign.compile()
    assert len(calls) == 1
    store = campaign.unit
    store.phone = "+33 4 00 00 00 00"
    store.save()
    campaign.refresh_from_db()
    campaign.compile()  # the unit's profile is part of what the e-mail shows
    assert len(calls) == 2


def test_template_preview_for_units_only(net, client_for, brand_template, django_user_model):
    preview = reverse("wagtail_distmark:campaign_template_preview", args=[brand_template.pk])
    html = client_for(net.users["manager_a"]).get(preview).content.decode()
    assert "Autumn is here" in html and "Maison Lumière SAS, Paris" in html
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    response = client_for(root).get(preview)  # a superuser with no unit: refused, not a 500
    assert response.status_code in (302, 403)
    brand_template.available_to_all = False
    brand_template.save()
    brand_template.available_units.set([net.units["south"]])
    assert client_for(net.fresh("manager_a")).get(preview).status_code == 404


def test_use_template_rule_agrees_with_the_gallery(net, client_for, brand_template):
    """One source: a template offered to Store A only is not usable by the North's manager."""
    perm = "wagtail_distmark.use_brandtemplate"
    brand_template.available_to_all = False
    brand_template.save()
    brand_template.available_units.set([net.units["a"]])
    for username, expected in [
        ("manager_a", True),
        ("regional_north", False),
        ("manager_c", False),
    ]:
        user = net.fresh(username)
        offered = "Autumn promotion" in client_for(user).get(reverse(GALLERY)).content.decode()
        assert user.has_perm(perm, brand_template) is expected is offered, username
    brand_template.valid_until = timezone.now()
    brand_template.save()
    assert not net.fresh("manager_a").has_perm(perm, brand_template)
