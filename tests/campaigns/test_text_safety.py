"""User text safety (issue 9, breaks 1, 5 and 7): banned words cannot be dodged and are checked
in every text a reader sees, HQ patterns cannot hang a save, limits count visible characters,
and links cannot carry a recipient's data out. Through the model and the admin's edit POST."""

import time

import pytest
from django.core.exceptions import ValidationError
from wagtail import blocks
from wagtail.test.utils.form_data import rich_text

from tests.campaigns.test_admin import snippet_url, start
from wagtail_distmark.blocks import email_blocks, zone_blocks
from wagtail_distmark.blocks import zone_data as zone
from wagtail_distmark.campaigns.zones import banned_in, check_campaign_body, compile_banned
from wagtail_distmark.models import BannedWord, BrandTemplate, LocalCampaign

pytestmark = pytest.mark.django_db

TEMPLATE = blocks.StreamBlock(zone_blocks())
CAMPAIGN = blocks.StreamBlock(email_blocks())
DODGES = ["FREE", "Fr\u200bee", "F\u00adree", "ｆｒｅｅ", "frее", "fr\u2060ee", "\ufefffree"]


@pytest.fixture
def template(net, image):
    template = BrandTemplate(
        name="Text safety",
        subject="News from {{ unit.name }}",
        preheader="This month",
        body=[
            zone("hero", "hero", {"image": image.pk, "alt": "Candles",
                                  "heading": "Autumn is here", "text": ""}),
            zone("cta", "button", {"label": "Shop now", "url": "https://brand.example/shop"},
                 "constrained", choices="Shop now\nBook now", required=True, max_chars=60),
            zone("text", "rich_text", "<p>Hello from the team</p>"),
            zone("photo", "image", {"image": image.pk, "alt": "Shop", "link": ""}),
            zone("logo", "logo_header", {"logo": image.pk, "alt": "ML", "link": ""}),
            zone("legal", "legal_footer", {"text": "Maison Lumière SAS, Paris",
                                           "unsubscribe_label": "Unsubscribe"}, "locked"),
        ],
        live=True,
    )  # fmt: skip
    template.save()
    return template


@pytest.fixture
def campaign(net, client_for, template):
    start(client_for(net.users["manager_a"]), template, net.units["a"], name="Newsletter")
    return LocalCampaign.objects.get()


@pytest.fixture
def banned(db):
    BannedWord.objects.create(text="free")
    BannedWord.objects.create(text="re:guarantee[ds]?")


def form_data(campaign, image, **changes):
    data = {
        "name": campaign.name, "subject": campaign.subject, "preheader": campaign.preheader,
        "zone_hero-image": str(image.pk), "zone_hero-alt": "Candles",
        "zone_hero-heading": "Autumn is here", "zone_hero-text": "",
        "zone_cta-label": "Shop now", "zone_cta-url": "https://brand.example/shop",
        "zone_text": rich_text("<p>Hello from the team</p>"),
        "zone_photo-image": str(image.pk), "zone_photo-alt": "Shop", "zone_photo-link": "",
        "zone_logo-logo": str(image.pk), "zone_logo-alt": "ML", "zone_logo-link": "",
    }  # fmt: skip
    return {**data, **changes}


def post(client, campaign, data):
    return client.post(snippet_url("edit", campaign.pk), data)


def refused(response, campaign, revisions, message):
    html = response.content.decode()
    assert response.status_code == 200, html[:2000]
    assert "could not be saved due to errors" in html
    assert message in html, html[:2000]
    assert campaign.revisions.count() == revisions


# Banned words ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dodge", DODGES)
def test_a_dodged_banned_word_is_found(dodge):
    assert banned_in([f"Candles {dodge} for all"], compile_banned(["free"])) == [
        dodge.replace("\u00ad", "").replace("\u200b", "").replace("\u2060", "").lstrip("\ufeff")
    ]


def test_whole_words_only_in_any_script():
    entries = compile_banned(["free", "gratuit"])
    assert banned_in(["freedom", "carefree", "gratuité", "gratuitement"], entries) == []
    assert banned_in(["100 % gratuit !", "free_"], entries) == ["gratuit"]


def test_a_catastrophic_pattern_returns_quickly_and_a_normal_one_matches():
    entries = compile_banned(["re:(a+)+$", "re:guarantee[ds]?"])
    start_time = time.perf_counter()
    assert banned_in(["a" * 5000 + "!"], entries) == []
    assert time.perf_counter() - start_time < 1
    assert banned_in(["All GUARANTEED"], entries) == ["GUARANTEED"]
    assert banned_in(["a" * 50], entries) == ["a" * 50]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("re:(a)\\1", "invalid escape sequence"),
        ("re:free(?=dom)", "invalid perl operator"),
        ("re:x*", "matches an empty text"),
        ("re:", "matches an empty text"),
        ("re:([a-z]", "missing )"),
    ],
)
def test_patterns_re2_cannot_run_are_refused_at_save(text, reason):
    with pytest.raises(ValidationError) as caught:
        BannedWord(text=text).full_clean()
    message = " ".join(caught.value.message_dict["text"])
    assert reason in message and "RE2" in message


def test_a_normal_pattern_and_word_are_accepted():
    BannedWord(text="re:(a+)+$").full_clean()  # RE2 runs it in linear time: allowed
    BannedWord(text="re:\\bfree\\b").full_clean()
    BannedWord(text="gratuit").full_clean()


@pytest.mark.parametrize(
    "twin", ["Gratuit", "GRATUIT", "ｇｒａｔｕｉｔ", " gratuit ", "grat\u200buit"]
)
def test_a_duplicate_of_a_banned_words_folded_form_is_refused(twin):
    BannedWord.objects.create(text="gratuit")
    with pytest.raises(ValidationError) as caught:
        BannedWord(text=twin).full_clean()
    assert "already banned" in " ".join(caught.value.message_dict["text"])


def test_distinct_words_and_saving_a_word_again_are_fine():
    word = BannedWord.objects.create(text="gratuit")
    word.full_clean()  # itself is not a duplicate
    BannedWord(text="gratuits").full_clean()
    BannedWord(text="re:gratuit").full_clean()
    with pytest.raises(ValidationError, match="visible letters"):
        BannedWord(text="\u200b\u00ad").full_clean()


def test_hq_adds_a_duplicate_through_the_admin_and_sees_the_error(net, client_for):
    from django.urls import reverse

    BannedWord.objects.create(text="gratuit")
    client = client_for(net.users["hq"])
    url = reverse("wagtailsnippets_wagtail_distmark_bannedword:add")
    response = client.post(url, {"text": "Gratuit"})
    assert response.status_code == 200
    assert "is already banned" in response.content.decode()
    assert BannedWord.objects.count() == 1


@pytest.mark.parametrize("field", ["name", "subject", "preheader"])
@pytest.mark.parametrize("dodge", ["Fr\u200bee", "ｆｒｅｅ", "frее"])
def test_banned_words_in_the_name_subject_and_preheader(campaign, banned, field, dodge):
    setattr(campaign, field, f"Candles {dodge} today")
    with pytest.raises(ValidationError) as caught:
        campaign.full_clean()
    assert "not allowed by the brand" in " ".join(caught.value.message_dict[field])


def test_a_locked_subject_is_hqs_and_not_judged(campaign, banned, template):
    template.subject, template.subject_editable = "Free delivery", False
    template.save()
    campaign.subject = "Free delivery"
    campaign.full_clean()


def test_banned_words_in_every_text_of_an_editable_zone(campaign, banned, image):
    body = [dict(c, value=c["value"]) for c in campaign.body.raw_data]
    cases = {
        0: ("alt", "Fr\u00adee candles"),
        1: ("label", "Shop now"),  # constrained, allowed: no error
        3: ("alt", "Guarantееd"),
        4: ("alt", "ｆｒｅｅ logo"),
    }
    for index, (key, text) in cases.items():
        body[index]["value"] = {**body[index]["value"], key: text}
    body[2]["value"] = "<p>Our <b>fr\u200bee</b> gift</p>"
    with pytest.raises(blocks.StreamBlockValidationError) as caught:
        check_campaign_body(
            campaign.template.body, CAMPAIGN.to_python(body), campaign.banned_patterns
        )
    errors = caught.value.as_json_data()["blockErrors"]
    assert set(errors) == {0, 2, 3, 4}
    # On the field that holds the word (a rich text zone is one field: on the zone).
    fields = {0: ["alt"], 2: [], 3: ["alt"], 4: ["alt"]}
    for index, names in fields.items():
        error = errors[index]
        assert set(error.get("blockErrors", {})) == set(names)
        messages = [error["blockErrors"][name]["messages"] for name in names] or [error["messages"]]
        assert all("not allowed by the brand" in " ".join(m) for m in messages)
        if names:
            assert " ".join(messages[0]).startswith("Alternative text: ")


def test_the_admin_shows_a_dodged_banned_word_on_the_subject_and_saves_nothing(
    net, client_for, campaign, banned, image
):
    client = client_for(net.users["manager_a"])
    revisions = campaign.revisions.count()
    response = post(client, campaign, form_data(campaign, image, subject="Ｆｒｅｅ candles"))
    refused(response, campaign, revisions, "These words are not allowed by the brand: Ｆｒｅｅ.")
    response = post(client, campaign, form_data(campaign, image, name="Fr\u200bee stuff"))
    refused(response, campaign, revisions, "not allowed by the brand")
    response = post(client, campaign, form_data(campaign, image, **{
        "zone_text": rich_text("<p>All gu\u200baranteed</p>")}))  # fmt: skip
    refused(response, campaign, revisions, "not allowed by the brand")


def test_the_twin_clean_texts_save(net, client_for, campaign, banned, image):
    client = client_for(net.users["manager_a"])
    response = post(client, campaign, form_data(campaign, image, subject="Freedom candles"))
    assert response.status_code == 302


# Limits, required texts, allowed values --------------------------------------------------------


def constrained_errors(campaign, **cta):
    body = [dict(c, value=c["value"]) for c in campaign.body.raw_data]
    body[1]["value"] = {**body[1]["value"], **cta}
    try:
        check_campaign_body(campaign.template.body, CAMPAIGN.to_python(body))
    except blocks.StreamBlockValidationError as error:
        zone = error.as_json_data()["blockErrors"][1]
        assert set(zone) == {"blockErrors"}, zone  # on the field at fault: the label
        return " ".join(zone["blockErrors"]["label"]["messages"])
    return ""


def test_an_allowed_value_with_a_trailing_no_break_space_is_not_allowed(campaign):
    assert constrained_errors(campaign, label="Book now") == ""
    assert "Choose one of" in constrained_errors(campaign, label="Book now\u00a0")
    assert "Choose one of" in constrained_errors(campaign, label="Book\u00a0now")
    assert "Choose one of" in constrained_errors(campaign, label="Book now\u200b")


def test_a_text_of_invisible_characters_is_empty(campaign):
    message = constrained_errors(campaign, label="\u200b\u00a0\u2060")
    assert "must be filled in" in message


def test_limits_count_visible_characters(settings, campaign, template):
    template.body[1].value["constraints"]["choices"] = ""
    template.body[1].value["constraints"]["max_chars"] = 30
    template.save()
    campaign.refresh_from_db()
    label = "Réservez votre bougie ici"  # 25 characters
    campaign.body[1].value["url"] = "https://brand.example"
    campaign.save()
    assert constrained_errors(campaign, label=f"{label}!\u200b\u200b\ufe0f\u00ad") == ""
    assert constrained_errors(campaign, label=f"{label[:1]}e\u0301{label[2:]} ! !") == ""  # 29
    assert (
        constrained_errors(campaign, label=f"{label} !!!!!")
        == "Label: at most 30 characters (you wrote 31)."
    )


def test_subject_limit_counts_visible_characters(campaign, template):
    template.subject_max_length = 10
    template.save()
    campaign.subject = "Bonjour\u200b\u200b\u200b !"  # 9 visible characters
    campaign.full_clean()
    campaign.subject = "Bonjour !!!"
    with pytest.raises(ValidationError) as caught:
        campaign.full_clean()
    assert caught.value.message_dict["subject"] == ["At most 10 characters."]


def test_a_subject_of_invisible_characters_is_required(net, client_for, campaign, image):
    client = client_for(net.users["manager_a"])
    revisions = campaign.revisions.count()
    response = post(client, campaign, form_data(campaign, image, subject="\u200b\u2060"))
    refused(response, campaign, revisions, "This field is required.")


def test_an_oversized_zone_text_is_refused_before_parsing(settings, campaign):
    settings.WAGTAIL_DISTMARK_MAX_TEXT_LENGTH = 1_000
    body = [dict(c, value=c["value"]) for c in campaign.body.raw_data]
    body[2]["value"] = "<p>" + "{{ " * 2_000 + "</p>"
    with pytest.raises(blocks.StreamBlockValidationError) as caught:
        check_campaign_body(campaign.template.body, CAMPAIGN.to_python(body))
    assert "longer than 1000 characters" in str(caught.value.as_json_data())


def test_an_oversized_subject_is_refused_quickly(campaign):
    campaign.subject = "{{" + " " * 200_000
    start_time = time.perf_counter()
    with pytest.raises(ValidationError) as caught:
        campaign.full_clean()
    assert time.perf_counter() - start_time < 2
    assert "subject" in caught.value.message_dict


# Links -----------------------------------------------------------------------------------------

LEAK = "https://elsewhere.example/?e={{ contact.email }}"
PARTNER = "https://partner.example/survey?e={{ contact.email }}"


@pytest.mark.parametrize(
    "changes",
    [
        {"zone_cta-url": LEAK},
        {"zone_photo-link": LEAK},
        {"zone_logo-link": LEAK},
        {"zone_photo-link": "ftp://files.example/a.png"},
        {"zone_logo-link": "ftp://files.example/a.png"},
        {"zone_text": rich_text(f'<p><a href="{LEAK}">Survey</a></p>')},
        {"zone_text": rich_text('<p><a href="ftp://files.example/x">File</a></p>')},
    ],
    ids=["button", "image", "logo", "image-ftp", "logo-ftp", "rich-text", "rich-text-ftp"],
)
def test_links_refused_through_the_admin(net, client_for, campaign, image, changes):
    client = client_for(net.users["manager_a"])
    revisions = campaign.revisions.count()
    response = post(client, campaign, form_data(campaign, image, **changes))
    message = "recipient" if "contact" in str(changes) else "starting with https://"
    refused(response, campaign, revisions, message)


@pytest.mark.parametrize(
    "changes",
    [
        {"zone_cta-url": PARTNER},
        {"zone_photo-link": PARTNER},
        {"zone_logo-link": "https://www.partner.example/?u={{ unit.code }}&e={{ contact.email }}"},
        {"zone_text": rich_text(f'<p><a href="{PARTNER}">Survey</a></p>')},
        {"zone_photo-link": "mailto:{{ unit.email }}"},
        {"zone_logo-link": "tel:+33100000000"},
    ],
    ids=["button", "image", "logo", "rich-text", "mailto", "tel"],
)
def test_links_to_an_allowed_domain_save(net, client_for, campaign, image, settings, changes):
    settings.WAGTAIL_DISTMARK_LINK_DOMAINS_FOR_CONTACT_DATA = ["partner.example"]
    client = client_for(net.users["manager_a"])
    response = post(client, campaign, form_data(campaign, image, **changes))
    assert response.status_code == 302, response.content.decode()[:3000]
    campaign.refresh_from_db()
    saved = campaign.get_latest_revision_as_object()
    assert any(
        target in str(saved.body.raw_data)
        for target in ("partner.example", "mailto:", "tel:+33100000000")
    )


@pytest.mark.parametrize("name", ["Fr\u200bee candles", "\u200b\u2060"])
def test_the_gallery_refuses_a_bad_name_with_a_form_error(net, client_for, template, banned, name):
    response = start(client_for(net.users["manager_a"]), template, net.units["a"], name=name)
    assert response.status_code == 200
    html = response.content.decode()
    assert "not allowed by the brand" in html or "This field is required." in html
    assert not LocalCampaign.objects.exists()


def test_hqs_own_texts_are_not_judged_by_a_word_banned_later(net, client_for, template, image):
    template.subject = "Free delivery at {{ unit.name }}"
    template.save()
    BannedWord.objects.create(text="autumn")  # in the hero's heading, "Autumn is here"
    BannedWord.objects.create(text="free")
    client = client_for(net.users["manager_a"])
    assert start(client, template, net.units["a"], name="Newsletter").status_code == 302
    campaign = LocalCampaign.objects.get()
    campaign.full_clean()
    response = post(client_for(net.users["manager_a"]), campaign, form_data(campaign, image))
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("hero", {"alt": "x", "heading": "\u200b\u00ad\u2060", "text": ""}),
        ("rich_text", "<p>\u200b\ufeff</p>"),
    ],
)
def test_a_required_block_text_of_invisible_characters_is_empty(image, name, value):
    """Block level (Wagtail defers "required" for drafts; it applies when publishing)."""
    if name == "hero":
        value = {"image": image.pk, **value}
    stream = CAMPAIGN.to_python([{"type": name, "value": value}])
    with pytest.raises(ValidationError) as caught:
        CAMPAIGN.clean(stream)
    assert "This field is required." in str(caught.value.as_json_data())


def test_invisible_or_no_break_variants_of_an_allowed_value_are_refused_by_the_admin(
    net, client_for, campaign, image
):
    client = client_for(net.users["manager_a"])
    revisions = campaign.revisions.count()
    for label in ("\u200b", "Book now\u00a0"):  # the select refuses both; the model too
        response = post(client, campaign, form_data(campaign, image, **{"zone_cta-label": label}))
        refused(response, campaign, revisions, "Select a valid choice")
