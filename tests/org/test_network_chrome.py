"""The Network admin looks like Wagtail 8 (issue 10): the slim header with breadcrumbs, the
row actions in a "More options" dropdown that offers exactly what the rules allow, and the
tree's depth said in words as well as by indentation. Server-side markup only; the browser
tests (``tests/browser/test_screens_a11y.py``) run axe-core on the same screens."""

import re

import pytest
from django.urls import reverse

from tests.admin_html import breadcrumbs, described_by, dropdown_links, has_slim_header
from wagtail_distmark.models import Membership

pytestmark = pytest.mark.django_db

PREFIX = "distmark_network_modeladmin_"
ACTIONS = [  # (label, permission, URL) of each row action, in the ButtonHelper's order
    ("Inspect", "view_orgunit", "inspect/{pk}/"),
    ("Edit", "change_orgunit", "edit/{pk}/"),
    ("Delete", "delete_orgunit", "delete/{pk}/"),
    ("Add sub-unit", "add_orgunit", "create/?parent={pk}"),
]


def url(action, *args):
    return reverse(PREFIX + action, args=args)


def allowed_actions(user, unit):
    """The row actions the rules grant ``user`` on ``unit``, as the dropdown should list them."""
    return [
        (label, url("index") + path.format(pk=unit.pk))
        for label, permission, path in ACTIONS
        if user.has_perm(f"wagtail_distmark.{permission}", unit)
    ]


def more_options(html, unit):
    return dropdown_links(html, f"More options for &#x27;{unit.name}&#x27;")


def table(html):
    return html.split('<table class="listing full-width">')[1].split("</table>")[0]


@pytest.mark.parametrize("username", ["hq", "regional_north", "manager_a", "editor_a"])
def test_each_rows_dropdown_offers_what_the_rules_allow(net, client_for, username):
    html = client_for(net.users[username]).get(url("index")).content.decode()
    user = net.fresh(username)
    shown = [
        unit for unit in net.units.values() if user.has_perm("wagtail_distmark.view_orgunit", unit)
    ]
    assert shown
    for unit in shown:
        assert more_options(html, unit) == allowed_actions(user, unit), unit
    assert "button-small" not in table(html)  # no more rows of bordered buttons


def test_the_index_has_wagtails_slim_header_and_add_button(net, client_for):
    html = client_for(net.users["hq"]).get(url("index")).content.decode()
    assert has_slim_header(html)
    assert breadcrumbs(html) == [("Home", reverse("wagtailadmin_home")), ("Network", None)]
    assert re.search(rf'<a href="{url("create")}"[^>]*class="[^"]*w-header-button', html)
    manager = client_for(net.users["manager_a"]).get(url("index")).content.decode()
    assert url("create") not in manager  # the PermissionHelper says no: no button


def test_the_index_says_each_units_depth_in_words(net, client_for):
    html = client_for(net.users["hq"]).get(url("index")).content.decode()
    assert '>HQ</span><span class="w-sr-only"> (level 1)</span>' in html
    assert '>North</span><span class="w-sr-only"> (level 2, in HQ)</span>' in html
    assert '>Store A</span><span class="w-sr-only"> (level 3, in North)</span>' in html
    regional = client_for(net.users["regional_north"]).get(url("index")).content.decode()
    assert '>North</span><span class="w-sr-only"> (level 1)</span>' in regional
    assert '>Store B</span><span class="w-sr-only"> (level 2, in North)</span>' in regional


def test_the_depth_never_names_a_parent_outside_the_scope(net, client_for):
    """A regional manager of North who also manages Store C sees Store C at level 2 (the
    list's top is North), but not the name of South, which they may not see."""
    user = net.users["regional_north"]
    Membership.objects.create(user=user, unit=net.units["c"], role=Membership.Role.UNIT_MANAGER)
    html = client_for(net.fresh("regional_north")).get(url("index")).content.decode()
    assert '>Store C</span><span class="w-sr-only"> (level 2)</span>' in html
    assert "South" not in html


def test_inspect_has_breadcrumbs_within_the_scope_and_an_actions_dropdown(net, client_for):
    store = net.units["a"]
    html = client_for(net.users["regional_north"]).get(url("inspect", store.pk)).content.decode()
    assert has_slim_header(html)
    assert breadcrumbs(html) == [
        ("Home", reverse("wagtailadmin_home")),
        ("Network", url("index")),
        ("North", f"{url('index')}?within={net.units['north'].pk}"),  # not HQ: out of scope
        ("Store A", None),
    ]
    user = net.fresh("regional_north")
    expected = [action for action in allowed_actions(user, store) if action[0] != "Inspect"]
    assert dropdown_links(html, "Actions") == expected  # regional managers do not move units
    assert url("history", store.pk) in html  # the header's history icon
    hq = client_for(net.users["hq"]).get(url("inspect", store.pk)).content.decode()
    assert ("Move", url("move", store.pk)) in dropdown_links(hq, "Actions")


@pytest.mark.parametrize(
    ("action", "key", "label"),
    [("edit", "a", "Editing"), ("delete", "b", "Delete"), ("move", "a", "Move"),
     ("add_member", "a", "Add member"), ("history", "a", "History")],
)  # fmt: skip
def test_unit_pages_have_breadcrumbs_to_the_unit(net, client_for, action, key, label):
    unit = net.units[key]
    html = client_for(net.users["hq"]).get(url(action, unit.pk)).content.decode()
    assert has_slim_header(html)
    assert breadcrumbs(html)[-2:] == [(unit.name, url("inspect", unit.pk)), (label, None)]


def test_create_breadcrumbs_lead_through_the_parent(net, client_for):
    north = net.units["north"]
    html = client_for(net.users["hq"]).get(url("create"), {"parent": north.pk}).content.decode()
    assert breadcrumbs(html)[-2:] == [("North", url("inspect", north.pk)), ("New", None)]


def test_form_errors_are_linked_to_their_fields(net, client_for):
    client = client_for(net.users["hq"])
    move = client.post(url("move", net.units["north"].pk), {"target": net.units["a"].pk})
    html = move.content.decode()
    assert re.search(r'<select[^>]*name="target"[^>]*aria-invalid="true"', html)
    assert "Select a valid choice" in " ".join(described_by(html, "target"))
    member = client.post(
        url("add_member", net.units["a"].pk), {"role": "unit_editor", "username": "x2"}
    )
    html = member.content.decode()
    assert described_by(html, "email") == ["This field is required for a new user."]
    assert 'aria-invalid="true"' in re.search(r'<input[^>]*name="email"[^>]*>', html).group()
