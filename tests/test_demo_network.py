import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from tests.library.conftest import needs_policy_registry
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


def test_demo_library_and_catalogue_load_once(capsys):
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model

    from wagtail_distmark.library.collections import brand_library_root
    from wagtail_distmark.models import (
        BrandCollection,
        ImageUsageRights,
        Product,
        ProductAvailability,
    )

    Image, Document = get_image_model(), get_document_model()
    out = load(capsys)
    assert "Content library: 4 brand collections" in out
    models = (Image, Document, Product, ProductAvailability, BrandCollection, ImageUsageRights)
    counts = [model.objects.count() for model in models]
    load(capsys)  # twice: nothing duplicated
    assert [model.objects.count() for model in models] == counts

    library = {c.name: c for c in brand_library_root().get_children()}
    assert set(library) == {"Photography", "Logos", "Price lists", "UK campaign imagery"}
    uk = OrgUnit.objects.get(code="ML-UK")
    assert list(
        BrandCollection.objects.get(collection=library["UK campaign imagery"]).units.all()
    ) == [uk]
    for name in ("Photography", "Logos", "Price lists"):
        assert not BrandCollection.objects.get(collection=library[name]).units.exists()
    assert Image.objects.filter(collection=library["Photography"]).count() >= 8
    assert Image.objects.filter(collection=library["Logos"], title__startswith="Logo").count() >= 4
    assert Image.objects.filter(collection=library["UK campaign imagery"]).count() == 2
    price_list = Document.objects.get(title="Price list – Autumn 2026")
    assert price_list.collection == library["Price lists"]
    assert price_list.file.read(5) == b"%PDF-"

    # usage rights: two licences ending soon (one used by a Lyon campaign), one expired
    rights = {r.image.title: r.is_current() for r in ImageUsageRights.objects.all()}
    assert rights == {"Candlelit living room": True, "Winter gift box": False,
                      "Autumn candles": True}  # fmt: skip

    # store uploads, in the managers' own collections
    for username, code, expected in (("manager", "ML-001", 2), ("manager2", "ML-201", 1)):
        store = OrgUnit.objects.get(code=code)
        uploads = Image.objects.filter(collection=store.collection)
        assert uploads.count() == expected
        assert {i.uploaded_by_user.username for i in uploads} == {username}

    # catalogue: regional ranges, local prices, one store-level exception
    assert Product.objects.count() >= 30
    assert Product.objects.filter(image__isnull=False).count() >= 2
    stores = {u.code: u for u in OrgUnit.objects.filter(kind="unit")}
    in_toronto = {p.sku: p.unit_price for p in Product.objects.available_at(stores["ML-103"])}
    in_lyon = {p.sku: p.unit_price for p in Product.objects.available_at(stores["ML-001"])}
    in_london = {p.sku for p in Product.objects.available_at(stores["ML-201"])}
    in_dublin = {p.sku for p in Product.objects.available_at(stores["ML-204"])}
    assert "CND-009" in in_toronto and "CND-009" not in in_lyon  # Canadian exclusive
    assert in_toronto["CND-001"] > in_lyon["CND-001"] == Product.objects.get(sku="CND-001").price
    assert in_london - in_dublin == {"CND-010"}
    # each store prices in its own currency: London every product in pounds, Dublin and Lyon
    # in euros, Toronto in Canadian dollars
    for code, currency in (("ML-201", "GBP"), ("ML-204", "EUR"), ("ML-001", "EUR"),
                           ("ML-103", "CAD")):  # fmt: skip
        prices = Product.objects.available_at(stores[code]).values_list("price_currency", flat=True)
        assert set(prices) == {currency}, code


@pytest.mark.django_db
def test_demo_expiring_report_lists_the_lyon_autumn_campaign(capsys, client):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    call_command("load_demo_network")
    client.force_login(get_user_model().objects.get(username="hq"))
    html = client.get(reverse("wagtail_distmark:library_expiring")).content.decode()
    assert "Autumn in Lyon" in html and "Autumn candles" in html and "in 21 days" in html


@pytest.mark.django_db
def test_demo_installs_the_approval_workflow_with_a_campaign_in_review(capsys):
    from wagtail.models import TaskState

    from wagtail_distmark.models import LocalCampaign
    from wagtail_distmark.workflows.models import OrgApprovalTaskState

    call_command("load_demo_network")
    call_command("load_demo_network")  # idempotent: still one submission
    newsletter = LocalCampaign.objects.get(name="Lyon newsletter")
    state = OrgApprovalTaskState.objects.get(
        workflow_state__object_id=str(newsletter.pk), status=TaskState.STATUS_IN_PROGRESS
    )
    assert state.approving_unit.code == "ML-001"
    assert [u.username for u in state.approvers()] == ["manager"]
    assert LocalCampaign.get_default_workflow().name == "Local campaign approval"
    assert "waits for the store manager's approval" in capsys.readouterr().out


@needs_policy_registry
def test_demo_template_images_are_in_the_brand_library_for_every_unit(capsys, client):
    """After an editor replaces a template's hero, they can choose the original again; a
    demo loaded before the images moved gets them moved on the next load."""
    from django.urls import reverse
    from wagtail.images import get_image_model
    from wagtail.models import Collection

    from wagtail_distmark.library.files import visible_files
    from wagtail_distmark.models import BrandCollection, BrandTemplate

    Image = get_image_model()
    load(capsys)
    titles = ("Maison Lumière logo", "Autumn candles", "Store opening", "Candle workshop")
    root = Collection.get_first_root_node()
    Image.objects.filter(title__in=titles).update(collection=root)  # an earlier demo's layout
    load(capsys)
    template_images = Image.objects.filter(title__in=titles)
    assert template_images.count() == 4
    assert not Image.objects.filter(collection=root).exists()
    for image in template_images:
        brand = BrandCollection.objects.get(collection=image.collection)
        assert not brand.units.exists()  # the whole network
    hero_id = (
        BrandTemplate.objects.get(name="Seasonal promotion").body[1].value["content"]["image"].pk
    )
    for username in ("editor", "manager2"):
        user = get_user_model().objects.get(username=username)
        choosable = visible_files(user, Image)
        assert set(template_images) <= set(choosable), username
        client.force_login(user)
        chosen = client.get(reverse("wagtailimages_chooser:chosen", args=[hero_id]))
        assert chosen.status_code == 200, username
        html = client.get(reverse("wagtailimages_chooser:choose"), {"q": "Autumn"}).content
        assert b"Autumn candles" in html, username


def test_demo_lyon_document_is_served_to_lyon_and_above_only(capsys, client):
    """Who may download what, with the demo accounts: Lyon's flyer goes to Lyon's manager and
    editor, the French region and HQ; London's manager and anonymous visitors get a 404 that
    does not name it. The brand price list goes to every store."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from wagtail.documents import get_document_model

    load(capsys)
    lyon = OrgUnit.objects.get(code="ML-001")
    flyer = get_document_model().objects.create(
        title="Lyon opening flyer",
        file=SimpleUploadedFile("lyon-flyer.pdf", b"%PDF-1.4 Lyon"),
        collection=lyon.collection,
    )
    users = {u.username: u for u in get_user_model().objects.all()}
    for username in ("manager", "editor", "regional", "hq"):
        client.force_login(users[username])
        assert client.get(flyer.url).status_code == 200, username
    for username in ("manager2", None):
        client.logout()
        if username:
            client.force_login(users[username])
        response = client.get(flyer.url)
        assert response.status_code == 404, username
        assert b"Lyon opening flyer" not in response.content and b"%PDF" not in response.content
    price_list = get_document_model().objects.get(title="Price list – Autumn 2026")
    client.force_login(users["manager2"])
    assert client.get(price_list.url).status_code == 200
