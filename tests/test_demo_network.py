import csv
import html
import io
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse

from home import demo_contacts, demo_workflow
from tests.library.conftest import needs_policy_registry
from wagtail_distmark.contacts import importing
from wagtail_distmark.contacts.audiences import recipients
from wagtail_distmark.contacts.consent import SUBSCRIBED, UNSUBSCRIBED, current_status
from wagtail_distmark.contacts.models import Source
from wagtail_distmark.contacts.normalise import email_hash, normalise_phone
from wagtail_distmark.models import (
    Audience,
    CommunicationType,
    Consent,
    ConsentEvent,
    Contact,
    ContactAttribute,
    ContactTag,
    ContactUnit,
    ImportJob,
    Membership,
    OrgUnit,
    Suppression,
    Tag,
)

pytestmark = pytest.mark.django_db


def load(capsys, **options):
    """Run the demo loader; the tests of its other parts pass ``contacts=0``: the 5,000
    demo contacts take seconds and have tests of their own below."""
    call_command("load_demo_network", **options)
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
    load(capsys, contacts=0)
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

    load(capsys, contacts=0)
    load(capsys, contacts=0)  # twice: nothing duplicated
    assert BrandTemplate.objects.filter(live=True).count() == 3
    policies = {z.value["policy"] for t in BrandTemplate.objects.all() for z in t.body}
    assert policies == {"locked", "editable", "constrained"}
    campaigns = LocalCampaign.objects.all()
    assert campaigns.count() == 3
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
    out = load(capsys, contacts=0)
    assert "Content library: 4 brand collections" in out
    models = (Image, Document, Product, ProductAvailability, BrandCollection, ImageUsageRights)
    counts = [model.objects.count() for model in models]
    load(capsys, contacts=0)  # twice: nothing duplicated
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

    call_command("load_demo_network", contacts=0)
    client.force_login(get_user_model().objects.get(username="hq"))
    html = client.get(reverse("wagtail_distmark:library_expiring")).content.decode()
    assert "Autumn in Lyon" in html and "Autumn candles" in html and "in 21 days" in html


@pytest.mark.django_db
def test_demo_installs_the_approval_workflow_with_a_campaign_in_review(capsys):
    from wagtail.models import TaskState

    from wagtail_distmark.models import LocalCampaign
    from wagtail_distmark.workflows.models import OrgApprovalTaskState

    call_command("load_demo_network", contacts=0)
    call_command("load_demo_network", contacts=0)  # idempotent: still one submission
    in_review = LocalCampaign.objects.get(name=demo_workflow.IN_REVIEW[0])
    state = OrgApprovalTaskState.objects.get(
        workflow_state__object_id=str(in_review.pk), status=TaskState.STATUS_IN_PROGRESS
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
    load(capsys, contacts=0)
    titles = ("Maison Lumière logo", "Autumn candles", "Store opening", "Candle workshop")
    root = Collection.get_first_root_node()
    Image.objects.filter(title__in=titles).update(collection=root)  # an earlier demo's layout
    load(capsys, contacts=0)
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

    load(capsys, contacts=0)
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


# --- The demo's customer base (issue 11) ----------------------------------------------------


def demo_contacts_of(code):
    return Contact.objects.filter(links__unit__code=code)


def provider_names(locale):
    """Faker's first and last names of a locale (its person provider's own lists)."""
    faker = pytest.importorskip("faker")
    provider = next(p for p in faker.Faker(locale).providers if hasattr(p, "last_names"))
    return set(provider.first_names), set(provider.last_names)


def test_demo_contacts_live_in_their_stores_with_local_names_and_valid_details(capsys):
    out = load(capsys)
    assert "Contacts: 5000 over 14 stores" in out
    assert "Demo network ready: 18 units." in out
    stores = OrgUnit.objects.filter(kind="unit")
    assert Contact.objects.count() == 5000
    per_store = dict(stores.annotate(n=Count("contacts")).values_list("code", "n"))
    assert len(per_store) == 14 and min(per_store.values()) > 250
    assert max(per_store, key=per_store.get) == "ML-001"  # the flagship store
    # home-unit mode (the default): every contact on exactly one store's list, no region's
    links = ContactUnit.objects.values("contact").annotate(n=Count("pk"))
    assert links.count() == 5000 and {row["n"] for row in links} == {1}
    assert not ContactUnit.objects.exclude(unit__kind="unit").exists()

    # names in the store's language, locale and country of the store
    rows = Contact.objects.values_list("links__unit__locale", "links__unit__country",
                                       "locale", "country")  # fmt: skip
    assert all(row[:2] == row[2:] for row in rows)
    checks = (("ML-001", "fr_FR", "en_GB"), ("ML-201", "en_GB", "fr_FR"),
              ("ML-102", "fr_CA", "en_GB"))  # fmt: skip
    for code, own, other in checks:
        last_names = list(demo_contacts_of(code).values_list("last_name", flat=True))
        own_share = sum(n in provider_names(own)[1] for n in last_names) / len(last_names)
        other_share = sum(n in provider_names(other)[1] for n in last_names) / len(last_names)
        assert own_share > 0.95 and other_share < 0.2, (code, own_share, other_share)

    # reserved e-mail domains, the suppression key kept, E.164 phones valid for the country
    contacts = list(Contact.objects.values_list("email", "email_hash", "phone", "country"))
    assert {email.rpartition("@")[2] for email, *_ in contacts} == set(demo_contacts.DOMAINS)
    assert all(hashed == email_hash(email) for email, hashed, *_ in contacts)
    phones = [(phone, country) for _e, _h, phone, country in contacts if phone]
    assert 0.6 < len(phones) / 5000 < 0.8
    assert all(normalise_phone(phone, country) == phone for phone, country in phones)
    assert {phone[:3] for phone, country in phones if country == "FR"} == {"+33"}
    lyon = demo_contacts_of("ML-001")
    lyon_cities = {"Lyon", "Villeurbanne", "Caluire-et-Cuire"}
    assert set(lyon.values_list("city", flat=True)) <= lyon_cities
    assert all(code.startswith("69") for code in lyon.values_list("postal_code", flat=True))
    assert lyon.filter(birth_date__isnull=False).count() > lyon.count() * 0.6


def test_demo_consents_with_their_history_some_unsubscribed_and_suppressed(capsys):
    load(capsys)
    newsletter = CommunicationType.objects.get(slug="newsletter")
    events = CommunicationType.objects.get(slug="store-events")
    assert not newsletter.is_per_unit and events.is_per_unit
    letters = Consent.objects.filter(communication_type=newsletter)
    assert not letters.exclude(unit=None).exists()
    assert letters.filter(status=SUBSCRIBED).count() > 3500
    unsubscribed = letters.filter(status=UNSUBSCRIBED)
    assert 50 < unsubscribed.count() < 400
    # the history says how: subscribed on demo evidence, then unsubscribed by the link
    gone = unsubscribed.first().contact
    history = ConsentEvent.objects.filter(contact=gone, communication_type=newsletter)
    assert [(e.status, e.source) for e in history.order_by("created_at")] == [
        (SUBSCRIBED, Source.DEMO),
        (UNSUBSCRIBED, Source.UNSUBSCRIBE),
    ]
    assert set(ConsentEvent.objects.values_list("evidence", flat=True)) == {"Demo data"}
    assert ConsentEvent.objects.filter(status=SUBSCRIBED).count() == Consent.objects.count()
    # store events: each consent is for the contact's own store
    for consent in Consent.objects.filter(communication_type=events)[:200]:
        assert consent.unit_id == consent.contact.links.get().unit_id
    # bounced addresses are suppressed by hash
    bounced = Suppression.objects.filter(reason=Suppression.Reason.HARD_BOUNCE)
    assert 10 < bounced.count() < 150
    hashes = set(bounced.values_list("email_hash", flat=True))
    assert Contact.objects.filter(email_hash__in=hashes).count() == len(hashes)

    # the audience the demo prepares for Lyon leaves both out
    audience = Audience.objects.get(name="Newsletter — Lyon Presqu'île")
    reached = recipients(audience)
    lyon = demo_contacts_of("ML-001")
    assert 0 < reached.count() < lyon.count()
    assert not reached.filter(consents__communication_type=newsletter,
                              consents__status=UNSUBSCRIBED).exists()  # fmt: skip
    assert not reached.filter(email_hash__in=hashes).exists()
    assert set(reached.values_list("pk", flat=True)) <= set(lyon.values_list("pk", flat=True))

    # tags and HQ's attribute
    assert ContactAttribute.objects.get(key="loyalty_points").kind == "number"
    card_holders = Contact.objects.filter(tags__name="Loyalty card")
    assert card_holders.count() > 1000
    assert all(isinstance(c.attributes["loyalty_points"], int) for c in card_holders[:100])
    assert Contact.objects.filter(tags__name="VIP").count() > 100


def test_demo_contacts_are_seen_through_the_demo_users_scopes(capsys):
    load(capsys, contacts=700)  # a few dozen per store tell the scopes apart
    users = {u.username: u for u in get_user_model().objects.all()}
    lyon, london = demo_contacts_of("ML-001"), demo_contacts_of("ML-201")
    seen = set(Contact.objects.for_user(users["manager"]).values_list("pk", flat=True))
    assert seen == set(lyon.values_list("pk", flat=True))
    seen2 = set(Contact.objects.for_user(users["manager2"]).values_list("pk", flat=True))
    assert seen2 == set(london.values_list("pk", flat=True)) and not seen & seen2
    france = Contact.objects.for_user(users["regional"])
    assert 0 < france.count() == Contact.objects.filter(country="FR").count() < 700
    assert Contact.objects.for_user(users["hq"]).count() == Contact.objects.count() == 700


def test_demo_contacts_reload_adds_nothing_and_restores_what_was_deleted(capsys):
    models = (Contact, ContactUnit, ContactTag, Consent, ConsentEvent, Suppression, Tag,
              CommunicationType, ContactAttribute, Audience)  # fmt: skip
    load(capsys)
    counts = [model.objects.count() for model in models]
    emails = set(Contact.objects.values_list("email", flat=True))
    assert "Contacts: 5000 over 14 stores" in load(capsys)
    assert [model.objects.count() for model in models] == counts
    # a demo missing some of its people gets the same people back, nobody twice
    gone = list(Contact.objects.order_by("pk").values_list("pk", flat=True)[:10])
    # Contacts are erased, never deleted (their consent history protects them); a database
    # that lost rows anyway is what this simulates, past the append-only manager.
    ConsentEvent._base_manager.filter(contact__in=gone).delete()
    Contact.objects.filter(pk__in=gone).delete()
    assert Contact.objects.count() == 4990
    load(capsys)
    assert set(Contact.objects.values_list("email", flat=True)) == emails
    assert ContactUnit.objects.count() == 5000


def test_a_larger_demo_adds_people_and_renames_nobody(capsys):
    """Growing the demo from 200 to 400 contacts keeps the first 200 as they were and adds
    the people a 400-contact demo has from scratch: nobody twice under a new address."""
    load(capsys, contacts=200)
    first = set(Contact.objects.values_list("email", flat=True))
    demo_contacts.load(400)
    grown = Contact.objects.values_list("links__unit__code", "first_name", "last_name")
    stores = list(OrgUnit.objects.filter(kind="unit").order_by("code"))
    afresh = [(p.unit.code, p.contact.first_name, p.contact.last_name)
              for p in demo_contacts.generate(stores, 400)]  # fmt: skip
    assert first < set(Contact.objects.values_list("email", flat=True))
    assert sorted(grown) == sorted(afresh) and len(afresh) == 400


def test_demo_contacts_load_without_faker_from_built_in_names(monkeypatch):
    """A site installed without the testing extra still gets French names in Lyon."""

    monkeypatch.setattr(demo_contacts, "Faker", None)
    bordeaux = OrgUnit(code="ML-002", locale="fr", country="FR")
    people = demo_contacts.people_for(bordeaux, 30, demo_contacts.Addresses())
    firsts, lasts = demo_contacts.FALLBACK_NAMES["fr"]
    assert {p.contact.first_name for p in people} <= set(firsts)
    assert {p.contact.last_name for p in people} <= set(lasts)
    assert len({p.contact.email for p in people}) == 30


def test_demo_contacts_shares_add_up_to_the_total():
    stores = [OrgUnit(code=code) for code in ("ML-001", "ML-002", "ML-003", "ML-201")]
    assert demo_contacts.shares(stores, 5000) == [1818, 909, 909, 1364]
    assert sum(demo_contacts.shares(stores, 7)) == 7


SAMPLE = Path(__file__).resolve().parent.parent / "example_site" / "sample-contacts.csv"
#: The sample's deliberate bad rows, as the import reports them: (line, column).
SAMPLE_ERRORS = [
    (11, "email"),  # not an address
    (17, "phone"),  # too short
    (21, "tags"),  # a tag HQ never declared
    (25, "unit"),  # Bordeaux: not the Lyon manager's store
    (29, "birth_date"),  # 31 February
    (33, "email"),  # the address of line 2 again
    (38, "email"),  # London's contact (home-unit mode)
]


def test_sample_csv_has_its_traps_and_meets_two_demo_people(capsys):
    load(capsys, contacts=200)  # Margaux and James are first on their stores' lists
    text = SAMPLE.read_bytes().decode("utf-8")  # accents, in UTF-8
    records = list(csv.reader(io.StringIO(text, newline="")))
    assert len(records) == 51 and len(text.splitlines()) == 52  # one quoted newline
    assert any("\n" in cell for row in records for cell in row)
    assert "Hélène" in text and "Sainte-Foy-lès-Lyon" in text
    emails = [row[0] for row in records[1:] if "@" in row[0]]
    assert all(e.endswith((".example.net", "@example.org", "@example.com")) for e in emails)
    in_demo = Contact.objects.filter(email__in=emails)
    assert {c.email: c.links.get().unit.code for c in in_demo} == {
        "margaux.fontaine@example.org": "ML-001",
        "james.whitfield@example.com": "ML-201",
    }
    newsletter = CommunicationType.objects.get(slug="newsletter")
    margaux = in_demo.get(first_name="Margaux")
    assert current_status(margaux, newsletter) == UNSUBSCRIBED


def test_sample_csv_dry_run_from_the_command_line_as_lyons_manager(capsys):
    """The README's command: the 7 bad rows with their line, column and reason."""
    load(capsys, contacts=200)  # Margaux and James are first on their stores' lists
    call_command("import_contacts", str(SAMPLE), unit="ML-001", user="manager",
                 type="newsletter", evidence="In-store sign-up form", dry_run=True)  # fmt: skip
    out = capsys.readouterr().out
    assert "rows: 50, to create: 42, to update: 1, unchanged: 0, errors: 7" in out
    reported = [tuple(line.split("\t")[:2]) for line in out.splitlines() if "\t" in line]
    assert reported == [(str(line), column) for line, column in SAMPLE_ERRORS]
    assert not ImportJob.objects.exists()  # a dry run keeps nothing


def test_sample_csv_through_the_admin_wizard_as_lyons_manager(
    capsys, client, django_capture_on_commit_callbacks, eager_celery
):
    """What the README promises: upload, keep the suggested columns, the dry run lists the 7
    bad rows; the import brings the 42 new people in and keeps Margaux unsubscribed."""
    load(capsys, contacts=200)  # Margaux and James are first on their stores' lists
    manager = get_user_model().objects.get(username="manager")
    newsletter = CommunicationType.objects.get(slug="newsletter")
    client.force_login(manager)
    before = demo_contacts_of("ML-001").count()

    with SAMPLE.open("rb") as upload:
        response = client.post(
            reverse("wagtail_distmark:contacts_import"),
            {"file": upload, "unit": OrgUnit.objects.get(code="ML-001").pk,
             "communication_type": newsletter.pk, "consent_evidence": "In-store sign-up form"},
        )  # fmt: skip
    job = ImportJob.objects.get()
    assert response.status_code == 302, response.content[:2000]
    mapping_url = reverse("wagtail_distmark:contacts_import_mapping", args=[job.pk])
    form = client.get(mapping_url).context["form"]
    assert form.initial[form.field_name(10)] == "consent"  # the "newsletter" column
    assert client.post(mapping_url, form.initial).status_code == 302
    dry_run = client.get(reverse("wagtail_distmark:contacts_import_dry_run", args=[job.pk]))
    html = dry_run.content.decode()
    assert "Gold member" in html and "This address is already on an earlier line" in html
    assert demo_contacts_of("ML-001").count() == before  # a dry run writes no contact

    with django_capture_on_commit_callbacks(execute=True):  # the import task, eager
        client.post(reverse("wagtail_distmark:contacts_import_start", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.error_count == 7
    errors = job.row_errors.exclude(column=importing.NOTE_COLUMN)
    assert list(errors.values_list("line", "column")) == SAMPLE_ERRORS
    assert demo_contacts_of("ML-001").count() == before + 42
    assert not Contact.objects.filter(email__startswith="oceane.brun").exists()  # Bordeaux
    margaux = Contact.objects.get(email="margaux.fontaine@example.org")
    assert current_status(margaux, newsletter) == UNSUBSCRIBED
    assert importing.kept_unsubscribed(job) == 1
    lea = Contact.objects.get(email="lea.chevalier@mail.example.net")  # the quoted newline
    assert (lea.first_name, lea.city) == ("Léa", "Lyon")
    assert current_status(lea, newsletter) == SUBSCRIBED
    benoit = Contact.objects.get(email="benoit.andre@mail.example.net")  # newsletter: no
    assert current_status(benoit, newsletter) is None


# --- The demo's send (issue 12) ---------------------------------------------------------------


def lyon_subscribers() -> set[str]:
    """Lyon's demo contacts a newsletter may reach: subscribed, their address not suppressed."""
    newsletter = CommunicationType.objects.get(slug="newsletter")
    suppressed = set(Suppression.objects.values_list("email_hash", flat=True))
    return {
        contact.email
        for contact in demo_contacts_of("ML-001")
        if current_status(contact, newsletter) == SUBSCRIBED
        and contact.email_hash not in suppressed
    }


def test_demo_lyon_newsletter_is_approved_with_its_audience_ready_to_send(capsys):
    """`make demo` leaves the Lyon newsletter approved, its audience chosen: Lyon's manager
    can press Send now. Loading again changes nothing (no second workflow, same audience)."""
    from wagtail.models import WorkflowState

    from wagtail_distmark.contacts.campaign_audience import chosen_audience
    from wagtail_distmark.models import LocalCampaign

    out = load(capsys, contacts=300)
    out += load(capsys, contacts=300)
    campaign = LocalCampaign.objects.get(name=demo_workflow.APPROVED[0])
    assert campaign.unit.code == "ML-001"
    assert campaign.sending_readiness().ready, campaign.sending_readiness().reason
    states = WorkflowState.objects.for_instance(campaign)
    assert list(states.values_list("status", flat=True)) == [WorkflowState.STATUS_APPROVED]
    audience = chosen_audience(campaign)
    assert (audience.unit.code, audience.communication_type.slug) == ("ML-001", "newsletter")
    assert Audience.objects.filter(unit__code="ML-001").count() == 1
    assert out.count("To send: “Lyon newsletter” to “Newsletter — Lyon Presqu'île”") == 2
    assert "Send now" in out
    manager = get_user_model().objects.get(username="manager")
    assert manager.has_perm("wagtail_distmark.send_localcampaign", campaign)
    assert (
        not get_user_model()
        .objects.get(username="manager2")
        .has_perm("wagtail_distmark.send_localcampaign", campaign)
    )


def test_sending_the_demo_lyon_newsletter_reaches_lyons_subscribers_exactly(
    capsys, eager_celery, mailoutbox
):
    """What the README's walk does, without the screens: Lyon's manager sends the newsletter;
    one e-mail per subscribed Lyon contact, none to Margaux (unsubscribed), to suppressed
    addresses or to another store's contacts; each signed by the Lyon store."""
    from wagtail_distmark.models import LocalCampaign
    from wagtail_distmark.sending import dispatch
    from wagtail_distmark.sending.models import Delivery, Send

    load(capsys, contacts=300)
    campaign = LocalCampaign.objects.get(name=demo_workflow.APPROVED[0])
    expected = lyon_subscribers()
    assert 20 < len(expected) < demo_contacts_of("ML-001").count()
    mailoutbox.clear()  # the approval notifications

    send = dispatch.create_send(campaign, get_user_model().objects.get(username="manager"))
    assert dispatch.start(send.pk)
    assert dispatch.drive(send.pk, seconds=30).done
    send.refresh_from_db()
    assert send.state == Send.State.DONE
    received = [address for message in mailoutbox for address in message.to]
    assert len(received) == len(set(received)) == len(expected)
    assert set(received) == expected
    assert "margaux.fontaine@example.org" not in received
    assert not Delivery.objects.exclude(state__in=[Delivery.State.SENT, Delivery.State.SKIPPED])
    lyon = OrgUnit.objects.get(code="ML-001")
    first_names = dict(Contact.objects.values_list("email", "first_name"))
    for message in mailoutbox:
        assert (lyon.sender_name or lyon.name) in message.from_email
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        greeting = f"Hello {html.escape(first_names[message.to[0]])}, a word from your store."
        assert greeting in message.alternatives[0][0]  # merged per recipient
