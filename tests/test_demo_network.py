import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from wagtail_distmark.models import Membership, OrgUnit

pytestmark = pytest.mark.django_db


def load(capsys):
    call_command("load_demo_network")
    return capsys.readouterr().out


def test_demo_network_loads_once_and_reloads_without_duplicates(capsys):
    out = load(capsys)
    assert "Admin: http://127.0.0.1:8000/admin/" in out
    for username in ("hq", "regional", "manager", "editor", "manager2"):
        assert username in out
    counts = OrgUnit.objects.count(), Membership.objects.count(), get_user_model().objects.count()
    load(capsys)
    assert (
        OrgUnit.objects.count(),
        Membership.objects.count(),
        get_user_model().objects.count(),
    ) == counts
    assert OrgUnit.objects.filter(kind="unit").count() >= 12
    assert OrgUnit.objects.filter(kind="region").count() == 3
    assert {u.locale[:2] for u in OrgUnit.objects.all()} >= {"en", "fr"}
    assert OrgUnit.objects.values("timezone").distinct().count() >= 4
    assert all(not problems for problems in OrgUnit.find_problems())  # treebeard self-check


def test_demo_users_have_the_documented_roles_and_password(capsys):
    load(capsys)
    User = get_user_model()
    manager, manager2 = User.objects.get(username="manager"), User.objects.get(username="manager2")
    assert manager.check_password("distmark-demo")
    store = Membership.objects.get(user=manager).unit
    assert Membership.objects.get(user__username="editor").unit == store
    assert Membership.objects.get(user__username="editor").role == "unit_editor"
    regional = Membership.objects.get(user__username="regional")
    assert regional.role == "regional_manager" and store.is_within(regional.unit)
    other_store = Membership.objects.get(user=manager2).unit
    assert not other_store.is_within(regional.unit)
    assert [u.pk for u in OrgUnit.objects.for_user(manager)] == [store.pk]
    assert not manager.has_perm("wagtail_distmark.view_orgunit", other_store)


def test_demo_templates_show_every_zone_policy_and_pass_validation(capsys):
    from wagtail_distmark.models import BrandTemplate, LocalCampaign

    load(capsys)
    load(capsys)  # twice: nothing duplicated
    assert BrandTemplate.objects.filter(live=True).count() == 3
    policies = {z.value["policy"] for t in BrandTemplate.objects.all() for z in t.body}
    assert policies == {"locked", "editable", "constrained"}
    campaigns = LocalCampaign.objects.all()
    assert campaigns.count() == 2
    for obj in [*BrandTemplate.objects.all(), *campaigns]:
        obj.full_clean()
