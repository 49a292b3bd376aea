"""Every generic view Wagtail registers for our snippets answers through our rules (issue 9).

Each URL of the campaign viewset, GET and POST: another region's store manager gets a 404
that names nothing and changes nothing; the campaign's own unit gets an answer. Copy makes
a new draft and never touches the original; unpublishing is HQ's.
"""

import pytest
import rules
from django.test import Client
from django.urls import URLPattern, path, reverse
from wagtail.models import Revision
from wagtail.snippets.models import get_snippet_models

from tests.campaigns.test_admin import edit_form_data, snippet_url, start
from tests.workflows.conftest import act, make_workflow, submit
from wagtail_distmark.models import BrandTemplate, LocalCampaign
from wagtail_distmark.rules.policies import (
    OFF,
    SCOPE,
    URL_RULES,
    GuardedUrls,
    forbidden,
    unmapped_url_names,
)

pytestmark = pytest.mark.django_db


def stranger(net):
    """Another region's store manager, in a browser of their own (no one else's messages)."""
    client = Client()
    client.force_login(net.users["manager_c"])
    return client


NAME = "Autumn in Lyon"


@pytest.fixture
def workflow(db):
    return make_workflow(("Store manager approval", "unit_manager", "always"))


@pytest.fixture
def campaign(net, client_for, brand_template, workflow):
    start(client_for(net.users["editor_a"]), brand_template, net.units["a"], name=NAME)
    return LocalCampaign.objects.get()


@pytest.fixture
def approved(net, client_for, campaign):
    submit(client_for(net.users["editor_a"]), campaign)
    assert act(client_for(net.users["manager_a"]), campaign, "approve").status_code == 302
    campaign.refresh_from_db()
    assert campaign.live
    return campaign


def our_viewsets():
    models = get_snippet_models()
    return [m.snippet_viewset for m in models if m._meta.app_label == "wagtail_distmark"]


def state(campaign):
    """Everything a generic view could change about a campaign."""
    campaign = LocalCampaign.objects.get(pk=campaign.pk)
    return (
        campaign.name, campaign.subject, campaign.live, campaign.locked,
        campaign.latest_revision_id, campaign.revisions.count(), LocalCampaign.objects.count(),
    )  # fmt: skip


# -- the map ---------------------------------------------------------------------------------


@pytest.mark.parametrize("viewset", our_viewsets(), ids=lambda v: v.model.__name__)
def test_every_url_name_our_viewsets_register_is_mapped_to_a_rule(viewset):
    assert unmapped_url_names(viewset) == set()
    opts = viewset.model._meta
    for pattern in viewset.get_urlpatterns():
        rule = URL_RULES[pattern.name]
        for action in () if rule is OFF else {a for a in rule if a}:
            name = f"{opts.app_label}.{action}_{opts.model_name}"
            assert rules.perm_exists(name), f"{pattern.name} asks {name}, which no rule answers"


def test_a_url_name_nobody_mapped_is_switched_off(rf, net):
    def new_wagtail_view(request, pk):
        raise AssertionError("must not run")

    guard = GuardedUrls(LocalCampaign, URL_RULES, lambda r: LocalCampaign.objects.all(), forbidden)
    pattern = guard(path("new/<int:pk>/", new_wagtail_view, name="shiny_new_view"))
    assert isinstance(pattern, URLPattern)
    from django.http import Http404

    with pytest.raises(Http404):
        pattern.callback(rf.get("/"), pk=1)
    assert URL_RULES["list"] is SCOPE


def test_the_system_check_names_an_unmapped_url(monkeypatch):
    from wagtail_distmark.campaigns.admin import LocalCampaignViewSet
    from wagtail_distmark.checks import check_snippet_url_rules

    assert check_snippet_url_rules(None) == []
    rules_without_history = {k: v for k, v in URL_RULES.items() if k != "history"}
    monkeypatch.setattr(LocalCampaignViewSet, "url_rules", rules_without_history)
    warnings = check_snippet_url_rules(None)
    assert [w.id for w in warnings] == ["wagtail_distmark.W005"]
    assert "'history'" in warnings[0].msg


def test_campaigns_have_no_create_form_preview(net, client_for, campaign):
    url = reverse("wagtailsnippets_wagtail_distmark_localcampaign:preview_on_add")
    client = client_for(net.users["editor_a"])
    assert client.post(url, {"name": "x"}).status_code == 404
    assert client.get(url).status_code == 404


# -- every URL of the campaign viewset, both ways ----------------------------------------


def campaign_urls(campaign):
    revision = campaign.latest_revision_id
    names = {
        "edit": [], "delete": [], "usage": [], "history": [], "history_results": [],
        "copy": [], "preview_on_edit": [], "revisions_view": [revision],
        "revisions_revert": [revision], "revisions_unschedule": [revision], "unpublish": [],
        "lock": [], "unlock": [], "workflow_history": [], "confirm_workflow_cancellation": [],
    }  # fmt: skip
    urls = {name: snippet_url(name, campaign.pk, *extra) for name, extra in names.items()}
    urls["revisions_compare"] = reverse(
        "wagtailsnippets_wagtail_distmark_localcampaign:revisions_compare",
        args=[campaign.pk, "earliest", "latest"],
    )
    return urls


@pytest.mark.parametrize("method", ["get", "post"])
def test_every_campaign_url_is_a_404_for_another_region(net, client_for, approved, method):
    before = state(approved)
    client = stranger(net)
    data = {**edit_form_data(approved), "action-publish": "1"}
    for name, url in campaign_urls(approved).items():
        response = getattr(client, method)(url, data) if method == "post" else client.get(url)
        assert response.status_code == 404, name
        page = response.content.decode()
        assert NAME not in page and "Store A" not in page, name
    assert state(approved) == before


def test_every_campaign_url_answers_its_own_unit(net, client_for, approved):
    client = client_for(net.users["manager_a"])
    for name, url in campaign_urls(approved).items():
        assert client.get(url).status_code in (200, 302, 403), name


# -- copy ------------------------------------------------------------------------------------


def test_copy_makes_one_new_draft_of_the_same_unit_and_leaves_the_original(
    net, client_for, approved
):
    client = client_for(net.users["editor_a"])
    original = state(approved)
    revision = Revision.objects.get(pk=approved.latest_revision_id)
    page = client.get(snippet_url("copy", approved.pk))
    assert page.status_code == 200 and "Create the copy" in page.content.decode()
    response = client.post(snippet_url("copy", approved.pk), follow=True)
    copy = LocalCampaign.objects.exclude(pk=approved.pk).get()
    assert response.redirect_chain[-1][0] == snippet_url("edit", copy.pk)
    html = response.content.decode()
    assert "Copy of Autumn in Lyon" in html and "created as a draft" in html
    assert reverse("wagtail_distmark:campaign_test_email", args=[copy.pk]) in html
    assert reverse("wagtail_distmark:campaign_test_email", args=[approved.pk]) not in html
    assert (copy.unit, copy.template, copy.live, copy.created_by) == (
        approved.unit, approved.template, False, net.users["editor_a"],
    )  # fmt: skip
    assert [c.id for c in copy.body] == [c.id for c in approved.body]
    assert copy.revisions.count() == 1
    assert state(approved)[:-1] == original[:-1] and LocalCampaign.objects.count() == 2
    assert Revision.objects.get(pk=approved.latest_revision_id) == revision
    assert approved.revisions.count() == 1 + 1  # submission's save, nothing new


def test_a_crafted_copy_post_never_saves_into_the_original(net, client_for, approved):
    """The break: Wagtail's copy view saved its form, ``action-publish`` included, as a new
    revision of the original (a campaign in review or sent could be changed that way)."""
    before = state(approved)
    data = {**edit_form_data(approved, name="Hacked"), "action-publish": "1"}
    client_for(net.users["editor_a"]).post(snippet_url("copy", approved.pk), data)
    approved.refresh_from_db()
    assert approved.name == NAME and state(approved)[:-1] == before[:-1]
    assert not LocalCampaign.objects.filter(name="Hacked").exists()
    assert LocalCampaign.objects.exclude(pk=approved.pk).get().live is False


def test_another_region_cannot_copy(net, client_for, campaign):
    client = stranger(net)
    for response in (client.get(snippet_url("copy", campaign.pk)),
                     client.post(snippet_url("copy", campaign.pk))):  # fmt: skip
        assert response.status_code == 404
        assert NAME not in response.content.decode()
    assert LocalCampaign.objects.count() == 1


def test_copy_of_a_template_no_longer_offered_is_refused_with_a_reason(
    net, client_for, campaign, brand_template
):
    brand_template.available_to_all = False
    brand_template.save()
    brand_template.available_units.set([net.units["south"]])
    response = client_for(net.users["editor_a"]).post(snippet_url("copy", campaign.pk))
    assert response.status_code == 403
    assert "no longer offered to Store A" in response.content.decode()
    assert LocalCampaign.objects.count() == 1


def test_the_listing_row_menu_offers_copy(net, client_for, campaign):
    page = client_for(net.users["editor_a"]).get(snippet_url("list"))
    assert snippet_url("copy", campaign.pk) in page.content.decode()


def test_hqs_snippets_have_no_copy_view(net, client_for, brand_template):
    client = client_for(net.users["hq"])
    for model in ("brandtemplate", "bannedword", "product", "productavailability"):
        url = f"/admin/snippets/wagtail_distmark/{model}/copy/{brand_template.pk}/"
        assert client.post(url, {"name": "X"}).status_code == 404
    assert BrandTemplate.objects.count() == 1
    page = client.get(reverse("wagtailsnippets_wagtail_distmark_brandtemplate:list"))
    assert "/copy/" not in page.content.decode()


# -- unpublish -------------------------------------------------------------------------------


def test_an_editor_cannot_unpublish_an_approved_campaign(net, client_for, approved):
    for username in ("editor_a", "manager_a", "regional_north"):
        client = client_for(net.users[username])
        edit_page = client.get(snippet_url("edit", approved.pk)).content.decode()
        assert snippet_url("unpublish", approved.pk) not in edit_page, username
        response = client.post(snippet_url("unpublish", approved.pk))
        assert response.status_code == 403, username
        assert "Only head office may withdraw" in response.content.decode()
        approved.refresh_from_db()
        assert approved.live and approved.sending_readiness().ready, username


def test_hq_may_withdraw_an_approved_campaign(net, client_for, approved):
    client = client_for(net.users["hq"])
    assert (
        snippet_url("unpublish", approved.pk)
        in client.get(snippet_url("edit", approved.pk)).content.decode()
    )
    response = client.post(snippet_url("unpublish", approved.pk))
    assert response.status_code == 302
    approved.refresh_from_db()
    assert not approved.live and not approved.sending_readiness().ready


def test_nobody_unpublishes_a_sent_campaign(net, client_for, approved):
    approved.freeze_for_sending()
    response = client_for(net.users["hq"]).post(snippet_url("unpublish", approved.pk))
    assert response.status_code == 403
    approved.refresh_from_db()
    assert approved.live


# -- lock, unlock, unschedule: the rule of the URL, then Wagtail's own ----------------------


def test_lock_needs_the_change_rule_on_the_campaign(net, client_for, approved):
    approved.freeze_for_sending()  # nobody may change a sent campaign
    response = client_for(net.users["hq"]).post(snippet_url("lock", approved.pk))
    assert response.status_code == 403
    approved.refresh_from_db()
    assert not approved.locked


# -- every object URL of every viewset of ours, read from the viewset itself --------------

#: Values for the URL arguments other than ``pk`` (those that do not exist are a 404 too).
EXTRA_ARGS = {
    "revision_id": 1, "revision_id_a": "earliest", "revision_id_b": "latest",
    "action_name": "approve", "task_state_id": 1, "workflow_state_id": 1, "task_id": 1,
}  # fmt: skip


def object_urls(viewset, pk):
    """Every URL of the viewset (and its chooser) that names an object, for ``pk``."""
    patterns = list(viewset.get_urlpatterns()) + list(viewset.chooser_viewset.get_urlpatterns())
    for pattern in patterns:
        names = set(getattr(pattern.pattern, "converters", {})) or set(
            pattern.pattern.regex.groupindex
        )
        if "pk" in names:
            namespace = (
                viewset.get_chooser_admin_url_namespace()
                if pattern in patterns[len(viewset.get_urlpatterns()) :]
                else viewset.get_admin_url_namespace()
            )
            kwargs = {name: EXTRA_ARGS.get(name, pk) for name in names}
            yield pattern.name, reverse(f"{namespace}:{pattern.name}", kwargs=kwargs)


@pytest.fixture
def hq_objects(net, brand_template):
    from wagtail_distmark.models import BannedWord, Product, ProductAvailability

    product = Product.objects.create(sku="S-1", name="Secret candle", price="9.00")
    brand_template.available_to_all = False  # Store A's users may not even choose it
    brand_template.save()
    brand_template.available_units.set([net.units["south"]])
    return {
        BrandTemplate: (brand_template, "Autumn promotion"),
        BannedWord: (BannedWord.objects.create(text="secretword"), "secretword"),
        ProductAvailability: (
            ProductAvailability.objects.create(product=product, unit=net.units["c"]),
            "Secret candle",
        ),
    }


@pytest.mark.parametrize("method", ["get", "post"])
def test_every_object_url_of_hqs_snippets_is_closed_to_units(net, hq_objects, method):
    for model, (obj, label) in hq_objects.items():
        count = model.objects.count()
        for username in ("manager_a", "editor_a"):
            client = Client()
            client.force_login(net.users[username])
            for name, url in object_urls(model.snippet_viewset, obj.pk):
                response = getattr(client, method)(url, {"text": "x", "name": "x"})
                assert response.status_code in (403, 404, 405), (model, name, username)
                assert label not in response.content.decode(), (model, name)
        assert model.objects.count() == count
        assert str(model.objects.get(pk=obj.pk)) == str(obj)


def test_hq_reaches_every_object_url_of_its_snippets(net, client_for, hq_objects):
    client = client_for(net.users["hq"])
    for model, (obj, _label) in hq_objects.items():
        for name, url in object_urls(model.snippet_viewset, obj.pk):
            assert client.get(url).status_code < 500, (model, name)
