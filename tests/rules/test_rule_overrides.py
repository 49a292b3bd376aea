"""A site overrides a rule with ``rules.set_perm``; every screen, chooser and list that
depends on the rule follows, and a user the override does not cover sees no difference.

Also: each rule agrees with its queryset twin (the filter its listings use) on a small tree.
"""

import pytest
import rules
from django.test import Client
from django.urls import reverse
from wagtail.images import get_image_model
from wagtail.models import Collection, TaskState

from tests.factories import MembershipFactory, add_unit
from tests.library.conftest import Library, needs_policy_registry
from tests.workflows.conftest import act, campaign_of, make_workflow, submit
from wagtail_distmark.models import (
    LocalCampaign,
    OrgUnit,
    Product,
    ProductAvailability,
)
from wagtail_distmark.org.forms import MoveForm
from wagtail_distmark.rules import library as library_rules
from wagtail_distmark.rules import org as org_rules
from wagtail_distmark.rules import workflows as workflow_rules
from wagtail_distmark.rules.permissions import PERMISSIONS
from wagtail_distmark.rules.scope import get_scope
from wagtail_distmark.workflows.models import OrgApprovalTask, OrgApprovalTaskState

pytestmark = pytest.mark.django_db

MOVE = "wagtail_distmark.move_orgunit"
PLACEMENT_KINDS = [OrgUnit.Kind.HEADQUARTERS, OrgUnit.Kind.REGION]
CHOOSE = "wagtail_distmark.choose_from_collection"


@pytest.fixture
def override():
    """``override(name, predicate)``: replace a rule for this test; ours is put back after."""
    replaced = []

    def set_rule(name, predicate):
        replaced.append(name)
        rules.set_perm(name, predicate)

    yield set_rule
    for name in replaced:
        rules.set_perm(name, PERMISSIONS[name])


# --- moving units: the Network's move screen and its list of targets ----------------------


def network_url(action, *args):
    return reverse(f"distmark_network_modeladmin_{action}", args=args)


def target_names(client, unit) -> list[str] | None:
    response = client.get(network_url("move", unit.pk))
    if response.status_code != 200:
        return None
    field = response.context["form"].fields["target"]
    return sorted(target.name for target in field.queryset)


@pytest.fixture
def north_east(net):
    """A sub-region below North: somewhere a regional manager could move a store to."""
    return add_unit(net.units["north"], "North-East", "C-NE", "region")


def regional_managers_move_in_their_region():
    return org_rules.can_move_orgunit | org_rules.is_regional_manager_above


def test_without_override_only_hq_moves_and_the_targets_are_hqs(net, client_for, north_east):
    assert target_names(client_for(net.users["regional_north"]), net.units["a"]) is None
    hq_targets = target_names(client_for(net.users["hq"]), net.units["a"])
    assert hq_targets == ["HQ", "North-East", "South"]  # not its own parent, not a store


def test_a_widened_move_rule_opens_the_move_screen_and_its_targets(
    net, client_for, north_east, override
):
    override(MOVE, regional_managers_move_in_their_region())
    client = client_for(net.users["regional_north"])
    assert target_names(client, net.units["a"]) == ["North-East"]
    response = client.post(network_url("move", net.units["a"].pk), {"target": north_east.pk})
    assert response.status_code == 302
    net.units["a"].refresh_from_db()
    assert net.units["a"].is_within(north_east)
    # The inspect page offers the move it now allows.
    assert network_url("move", net.units["b"].pk) in (
        client.get(network_url("inspect", net.units["b"].pk)).content.decode()
    )


def test_a_widened_move_rule_does_not_reach_who_it_does_not_cover(
    net, client_for, north_east, override
):
    override(MOVE, regional_managers_move_in_their_region())
    manager = client_for(net.users["manager_a"])
    assert manager.get(network_url("move", net.units["a"].pk)).status_code == 403
    assert manager.get(network_url("move", net.units["c"].pk)).status_code == 404
    regional = client_for(net.users["regional_north"])
    assert regional.get(network_url("move", net.units["c"].pk)).status_code == 404
    assert regional.get(network_url("move", net.units["north"].pk)).status_code == 403


def test_a_narrowed_move_rule_removes_targets_and_refuses_them(
    net, client_for, north_east, override
):
    south = net.units["south"]

    @rules.predicate
    def lands_outside_south(user, unit):
        return unit is None or not unit.is_within(south)

    override(MOVE, org_rules.can_move_orgunit & lands_outside_south)
    client = client_for(net.users["hq"])
    store = net.units["a"]
    assert target_names(client, store) == ["HQ", "North-East"]
    response = client.post(network_url("move", store.pk), {"target": south.pk})
    assert response.status_code == 200 and response.context["form"].errors
    store.refresh_from_db()
    assert store.is_within(net.units["north"])


def parent_names(client) -> list[str]:
    form = client.get(network_url("create")).context["form"]
    return sorted(unit.name for unit in form.fields["parent"].queryset)


def test_the_create_forms_parents_follow_the_add_rule(net, client_for, override):
    client = client_for(net.users["hq"])
    assert parent_names(client) == ["HQ", "North", "South"]
    override("wagtail_distmark.add_orgunit", org_rules.can_add_child_orgunit & ~is_root())
    assert parent_names(client) == ["North", "South"]
    regional = client_for(net.users["regional_north"])
    assert parent_names(regional) == ["North"]  # not covered: unchanged


def is_root():
    @rules.predicate
    def predicate(user, unit):
        return unit is not None and unit.depth == 1

    return predicate


# --- the library: choosers and indexes follow the "choose" rule ---------------------------

Image = get_image_model()


@pytest.fixture
def library(net):
    return Library(net)


def image_titles(client, url_name, **params) -> set[str]:
    response = client.get(reverse(url_name), params)
    assert response.status_code == 200
    html = response.content.decode()
    return {image.title for image in Image.objects.all() if image.title in html}


def chosen_status(client, image) -> int:
    return client.get(reverse("wagtailimages_chooser:chosen", args=[image.pk])).status_code


def north_imagery_for(username):
    """Shares North's brand imagery with one more user: a site's own exception."""

    @rules.predicate
    def predicate(user, collection=None):
        return (
            collection is not None
            and collection.name == "North imagery"
            and user.get_username() == username
        )

    return predicate


@needs_policy_registry
def test_a_widened_choose_rule_reaches_the_chooser_the_index_and_the_chosen_url(
    net, library, client_for, override
):
    client = client_for(net.users["manager_c"])
    north = library.images["north"]
    assert "North banner" not in image_titles(client, "wagtailimages_chooser:choose")
    assert chosen_status(client, north) == 404
    override(CHOOSE, library_rules.can_choose_in_collection | north_imagery_for("manager_c"))
    assert "North banner" in image_titles(client, "wagtailimages_chooser:choose")
    assert "North banner" in image_titles(client, "wagtailimages:index")
    assert chosen_status(client, north) == 200
    # Still not another store's upload.
    assert "Store A window" not in image_titles(client, "wagtailimages_chooser:choose")
    assert chosen_status(client, library.images["a"]) == 404


@needs_policy_registry
def test_a_widened_choose_rule_does_not_reach_who_it_does_not_cover(
    net, library, client_for, override
):
    override(CHOOSE, library_rules.can_choose_in_collection | north_imagery_for("manager_c"))
    editor_c = MembershipFactory(unit=net.units["c"], role="unit_editor").user
    client = client_for(editor_c)
    titles = image_titles(client, "wagtailimages_chooser:choose")
    assert "North banner" not in titles and "Brand hero" in titles
    assert "North banner" not in image_titles(client, "wagtailimages:index")
    assert chosen_status(client, library.images["north"]) == 404


@needs_policy_registry
def test_a_narrowed_choose_rule_empties_the_brand_library_for_units_not_for_hq(
    net, library, client_for, override
):
    @rules.predicate
    def in_a_units_collection(user, collection=None):
        return collection is None or OrgUnit.objects.filter(collection=collection).exists()

    override(CHOOSE, library_rules.can_choose_in_collection & in_a_units_collection)
    client = client_for(net.users["manager_a"])
    titles = image_titles(client, "wagtailimages_chooser:choose")
    assert titles == {"Store A window", "Store A team"}
    assert "Brand hero" not in image_titles(client, "wagtailimages:index")
    assert chosen_status(client, library.images["brand"]) == 404
    hq_titles = image_titles(client_for(net.users["hq"]), "wagtailimages_chooser:choose")
    assert {"Store A window", "Store C window"} <= hq_titles and "Brand hero" not in hq_titles


# --- approvals: who may approve, the actions offered, the dashboard ------------------------


@pytest.fixture
def submitted(net, client_for, brand_template):
    """A Store A campaign waiting for its unit manager's approval."""
    make_workflow(("Store manager approval", "unit_manager", "always"))
    campaign = campaign_of(net, client_for, brand_template)
    submit(client_for(net.users["editor_a"]), campaign)
    return campaign


def regional_managers_above_the_routed_unit(user, state):
    unit = state.approving_unit
    return unit is not None and org_rules.is_regional_manager_above(user, unit)


def task_of(campaign) -> OrgApprovalTask:
    return OrgApprovalTask.objects.get(name="Store manager approval")


def dashboard(client) -> str:
    return client.get(reverse("wagtailadmin_home")).content.decode()


def test_a_widened_approve_rule_makes_an_approver_of_the_regional_manager(
    net, client_for, submitted, override
):
    regional = net.fresh("regional_north")
    assert task_of(submitted).get_actions(submitted, regional) == []
    override(
        workflow_rules.APPROVE,
        workflow_rules.can_approve_as_routed
        | rules.predicate(regional_managers_above_the_routed_unit),
    )
    regional = net.fresh("regional_north")
    actions = [name for name, _label, _modal in task_of(submitted).get_actions(submitted, regional)]
    assert "approve" in actions
    assert list(task_of(submitted).get_task_states_user_can_moderate(regional)) == [
        OrgApprovalTaskState.objects.get()
    ]
    client = client_for(net.users["regional_north"])
    assert "Awaiting your review" in dashboard(client) and "Autumn at a" in dashboard(client)
    act(client, submitted, "approve")
    state = OrgApprovalTaskState.objects.get()
    assert state.status == TaskState.STATUS_APPROVED
    # An approver by the site's rule: not logged as an override.
    assert not submitted_log_has(submitted, "wagtail_distmark.approval_override")


def submitted_log_has(campaign, action) -> bool:
    from wagtail.models import ModelLogEntry

    return ModelLogEntry.objects.filter(object_id=str(campaign.pk), action=action).exists()


def test_a_widened_approve_rule_does_not_reach_who_it_does_not_cover(
    net, client_for, submitted, override
):
    override(
        workflow_rules.APPROVE,
        workflow_rules.can_approve_as_routed
        | rules.predicate(regional_managers_above_the_routed_unit),
    )
    other = net.fresh("manager_c")
    assert task_of(submitted).get_actions(submitted, other) == []
    assert not task_of(submitted).get_task_states_user_can_moderate(other).exists()
    client = Client()  # not the submitter's: their "created" message would name the campaign
    client.force_login(net.users["manager_c"])
    assert "Autumn at a" not in dashboard(client)
    assert act(client, submitted, "approve").status_code == 404
    # The submitter never approves their own campaign, whatever the approve rule says.
    override(workflow_rules.APPROVE, rules.always_allow)
    assert task_of(submitted).get_actions(submitted, net.fresh("editor_a")) == []
    assert OrgApprovalTaskState.objects.get().status == TaskState.STATUS_IN_PROGRESS


def test_a_narrowed_override_rule_takes_the_approve_action_from_hq(
    net, client_for, submitted, override
):
    hq = net.fresh("hq")
    assert task_of(submitted).get_actions(submitted, hq)
    override(workflow_rules.OVERRIDE, rules.always_deny)
    assert task_of(submitted).get_actions(submitted, net.fresh("hq")) == []
    assert task_of(submitted).get_actions(submitted, net.fresh("manager_a"))  # the approver
    act(client_for(net.users["hq"]), submitted, "approve")
    assert OrgApprovalTaskState.objects.get().status == TaskState.STATUS_IN_PROGRESS


# --- each rule agrees with its queryset twin ------------------------------------------------


@pytest.fixture
def users(net, django_user_model):
    """Every role of the small network, a store's editor, an outsider and a superuser."""
    root = django_user_model.objects.create_superuser("root", "root@example.com", "x")
    return [*(net.fresh(name) for name in net.users), root]


def fresh(user):
    return type(user).objects.get(pk=user.pk)


def test_view_orgunit_agrees_with_the_unit_listing(net, users):
    for user in users:
        listed = set(OrgUnit.objects.for_user(user))
        for unit in OrgUnit.objects.all():
            assert user.has_perm("wagtail_distmark.view_orgunit", unit) == (unit in listed), (
                user,
                unit,
            )


def test_move_targets_are_hqs_placement_units_without_an_override(net, users, north_east):
    """The list asks the rule; without an override it is the list HQ admins always had."""
    for user in users:
        scope = get_scope(user)
        for unit in OrgUnit.objects.filter(depth__gt=1):
            if not user.has_perm(MOVE, unit):
                continue
            form = MoveForm(unit=unit, user=user)
            expected = {
                target
                for target in OrgUnit.objects.filter(kind__in=PLACEMENT_KINDS)
                if (
                    scope.is_superuser
                    or any(g.role == "hq_admin" and g.covers(target.path) for g in scope.grants)
                )  # fmt: skip
                and not target.is_within(unit)
                and target.pk != unit.get_parent().pk
            }
            assert set(form.fields["target"].queryset) == expected, (user, unit)


def test_view_product_and_availability_agree_with_their_listings(net, users):
    candle = Product.objects.create(sku="C", name="Candle", price="10.00")
    pine = Product.objects.create(sku="P", name="Pine", price="12.00")
    ProductAvailability.objects.create(product=candle, unit=net.units["hq"])
    ProductAvailability.objects.create(product=pine, unit=net.units["a"])
    ProductAvailability.objects.create(product=candle, unit=net.units["c"], local_price="9.00")
    for user in users:
        products = set(Product.objects.for_user(user))
        rows = set(ProductAvailability.objects.for_user(user))
        for product in Product.objects.all():
            assert user.has_perm("wagtail_distmark.view_product", product) == (
                product in products
            ), (user, product)
        for row in ProductAvailability.objects.all():
            assert user.has_perm("wagtail_distmark.view_productavailability", row) == (
                row in rows
            ), (user, row)


def test_view_localcampaign_agrees_with_the_campaign_listing(
    net, users, client_for, brand_template
):
    for username, unit in (("manager_a", "a"), ("manager_c", "c"), ("regional_north", "north")):
        campaign_of(net, client_for, brand_template, username, unit)
    assert LocalCampaign.objects.count() == 3
    for user in users:
        listed = set(LocalCampaign.objects.for_user(user))
        for campaign in LocalCampaign.objects.all():
            assert user.has_perm("wagtail_distmark.view_localcampaign", campaign) == (
                campaign in listed
            ), (user, campaign)


def test_the_collection_rules_agree_with_the_library_listing(net, users):
    Library(net)
    for user in users:
        for action, (name, _predicate) in library_rules.RULES.items():
            if get_scope(user).is_head_office:
                continue  # the listing gives them every collection without reading ids
            listed = library_rules.collection_ids(fresh(user), action)
            for collection in Collection.objects.all():
                allowed = rules.has_perm(name, user, collection)
                assert allowed == (collection.pk in listed), (user, action, collection)


def test_approve_taskstate_agrees_with_the_routed_listing(net, users, client_for, submitted):
    state = OrgApprovalTaskState.objects.get()
    for unit in net.units.values():
        for rank in (10, 20, 30, 40):
            OrgApprovalTaskState.objects.filter(pk=state.pk).update(
                approving_unit=unit, approver_rank=rank
            )
            state.refresh_from_db()
            for user in users:
                routed = OrgApprovalTaskState.objects.routed_to(user)
                allowed = rules.has_perm(workflow_rules.APPROVE, user, state)
                assert allowed == routed.filter(pk=state.pk).exists(), (user, unit, rank)


def test_the_former_predicates_module_answers_every_feature_modules_names():
    """docs/rules.md's override recipe once imported ``rules.predicates``: it still works."""
    from wagtail_distmark.rules import predicates

    assert predicates.can_change_orgunit is org_rules.can_change_orgunit
    assert predicates.is_regional_manager_of is org_rules.is_regional_manager_of
    assert predicates.can_choose_in_collection is library_rules.can_choose_in_collection
    assert predicates.can_moderate_task_state is workflow_rules.can_moderate_task_state
    with pytest.raises(AttributeError):
        predicates.no_such_predicate  # noqa: B018
