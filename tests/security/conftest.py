"""A network whose every object carries a marker, so a leak shows up as text in a response.

Store A (North) is the users' own store; Store B is its sibling in the same region; Store C is in
the other region (South). Everything of Store B is marked ``SECRET-B-<kind>``, everything of
Store C ``SECRET-C-<kind>``, Store A's own objects ``OWN-A-<kind>`` and objects that belong to no
unit ``NOUNIT-<kind>``. A response that shows a marker to a role that must not see it is a leak.
"""

import io
from dataclasses import dataclass, field

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.images import ImageFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, Workflow, WorkflowContentType, WorkflowTask

from tests.factories import NetworkBuilder
from wagtail_distmark.blocks import zone_data as zone
from wagtail_distmark.campaigns.copying import save_new_draft
from wagtail_distmark.contacts.consent import SUBSCRIBED, set_consent
from wagtail_distmark.contacts.links import link
from wagtail_distmark.library.collections import add_brand_collection, unit_collection
from wagtail_distmark.models import (
    Audience,
    BannedWord,
    BrandTemplate,
    CommunicationType,
    Contact,
    ExportJob,
    ImportJob,
    LocalCampaign,
    Membership,
    Product,
    ProductAvailability,
)
from wagtail_distmark.sending.models import Delivery, DeliveryEvent, Send
from wagtail_distmark.workflows.models import OrgApprovalTask

#: Store key -> marker prefix. Store A's objects are the users' own.
MARKERS = {"a": "OWN-A", "b": "SECRET-B", "c": "SECRET-C"}
#: A price no other figure in the admin shares: an availability row's marker.
PRICES = {"a": "4141.41", "b": "4242.42", "c": "4343.43"}


def png_file(name: str) -> ImageFile:
    buffer = io.BytesIO()
    PILImage.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return ImageFile(buffer, name=name)


def make_image(title: str, collection: Collection, user=None):
    return get_image_model().objects.create(
        title=title,
        file=png_file(f"{title.lower()}.png"),
        collection=collection,
        uploaded_by_user=user,
    )


def make_document(title: str, collection: Collection, user=None):
    content = f"%PDF-1.4 {title}-file".encode()
    return get_document_model().objects.create(
        title=title,
        file=SimpleUploadedFile(f"{title.lower()}.pdf", content),
        collection=collection,
        uploaded_by_user=user,
    )


def template_body(image) -> list[dict]:
    return [
        zone("hero", "hero", {"image": image.pk, "alt": "Candles",
                              "heading": "Autumn is here", "text": ""}),
        zone("offer", "offer", {"title": "Your offer", "discount": 10, "text": "",
                                "valid_until": None},
             "constrained", min_value="5", max_value="20"),
        zone("legal", "legal_footer", {"text": "Maison Lumiere SAS, Paris",
                                       "unsubscribe_label": "Unsubscribe"}, "locked"),
    ]  # fmt: skip


def make_template(name: str, image, units=None) -> BrandTemplate:
    template = BrandTemplate(
        name=name,
        subject="Autumn at {{ unit.name }}",
        preheader="Our new candles",
        body=template_body(image),
        live=True,
        available_to_all=units is None,
    )
    template.save()
    if units is not None:
        template.available_units.set(units)
    template.save_revision()
    return template


def make_campaign(template: BrandTemplate, unit, user, marker: str) -> LocalCampaign:
    campaign = LocalCampaign(
        unit=unit,
        template=template,
        name=f"{marker}-campaign",
        subject=f"{marker}-subject",
        preheader=f"{marker}-preheader",
        body=template.campaign_body_data(),
        created_by=user,
        live=False,
    )
    return save_new_draft(campaign, user)


def make_workflow() -> Workflow:
    workflow = Workflow.objects.create(name="Local campaign approval")
    task = OrgApprovalTask.objects.create(
        name="Store manager approval", approver="unit_manager", when="always", deadline_hours=48
    )
    WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowContentType.objects.create(
        workflow=workflow, content_type=ContentType.objects.get_for_model(LocalCampaign)
    )
    return workflow


@dataclass
class StoreObjects:
    """What one store owns: the sweep fills URLs with these."""

    marker: str
    unit: object
    manager: object
    membership: object
    campaign: LocalCampaign
    image: object
    document: object
    availability: ProductAvailability
    template: BrandTemplate
    contact: Contact
    audience: Audience
    import_job: ImportJob
    export_job: ExportJob
    send: Send
    delivery: Delivery

    def objects(self) -> list:
        return [self.unit, self.manager, self.membership, self.campaign, self.image,
                self.document, self.availability, self.template, self.contact, self.audience,
                self.import_job, self.export_job, self.send, self.delivery,
                *self.delivery.events.all(), *self.contact.links.all(),
                *self.contact.consents.all(), *self.contact.consent_events.all()]  # fmt: skip


@dataclass
class World:
    net: NetworkBuilder
    stores: dict = field(default_factory=dict)
    unowned: dict = field(default_factory=dict)
    workflow: Workflow | None = None

    @property
    def users(self):
        return self.net.users


def build_network() -> NetworkBuilder:
    net = NetworkBuilder()
    net.unit("hq", None, "HQ", kind="headquarters")
    net.unit("north", "hq", "North", kind="region")
    net.unit("south", "hq", "South", kind="region")
    net.unit("a", "north", "OWN-A-unit")
    net.unit("b", "north", "SECRET-B-unit")
    net.unit("c", "south", "SECRET-C-unit")
    role = Membership.Role
    net.member("hq", "hq", role.HQ_ADMIN)
    net.member("regional_north", "north", role.REGIONAL_MANAGER)
    net.member("regional_south", "south", role.REGIONAL_MANAGER)
    net.member("manager_a", "a", role.UNIT_MANAGER)
    net.member("editor_a", "a", role.UNIT_EDITOR)
    for key in ("b", "c"):
        user = net.member(f"{MARKERS[key]}-user", key, role.UNIT_MANAGER)
        user.first_name, user.last_name = MARKERS[key], "person"
        user.email = f"{MARKERS[key].lower()}-mail@example.com"
        user.save()
    for unit in net.units.values():
        unit.refresh_from_db()
    return net


def make_contact(unit, marker: str, newsletter: CommunicationType) -> Contact:
    """A contact whose every text field carries the store's marker."""
    contact = Contact.objects.create(
        email=f"{marker.lower()}-contact@example.com", first_name=f"{marker}-contact",
        last_name=f"{marker}-surname", city=f"{marker}-city", postal_code="75001",
        phone="+33612345678", attributes={"note": f"{marker}-attribute"},
    )  # fmt: skip
    link(contact, unit)
    set_consent(contact, newsletter, SUBSCRIBED, source="admin", evidence=f"{marker}-evidence")
    return contact


def contact_jobs(unit, manager, marker: str) -> tuple[ImportJob, ExportJob]:
    """An import and an export the store's manager made, named with the marker."""
    upload = SimpleUploadedFile(f"{marker.lower()}-import.csv", b"email\nx@example.com\n")
    import_job = ImportJob.objects.create(
        unit=unit, created_by=manager, file=upload, original_name=f"{marker}-import.csv"
    )
    export_job = ExportJob.objects.create(
        created_by=manager, filters={"q": f"{marker}-filter"}, message=f"{marker}-export"
    )
    return import_job, export_job


def make_send(campaign, audience, contact, marker: str) -> tuple[Send, Delivery]:
    """A running send of the store's campaign, its one delivery unknown (every action of the
    send's page applies to it), with an open by a machine; texts carry the marker."""
    send = Send.objects.create(
        campaign=campaign, unit=campaign.unit, audience=audience,
        communication_type=audience.communication_type, state=Send.State.SENDING,
        reason=f"{marker}-reason", total=1,
    )  # fmt: skip
    delivery = Delivery.objects.create(
        send=send, contact=contact, state=Delivery.State.UNKNOWN, last_error=f"{marker}-error"
    )
    DeliveryEvent.objects.create(
        delivery=delivery, kind=DeliveryEvent.Kind.OPEN, is_machine=True,
        detail=f"{marker}-event",
    )  # fmt: skip
    return send, delivery


def store_objects(net, key, template, product, image) -> StoreObjects:
    marker, unit = MARKERS[key], net.units[key]
    manager = net.users.get(f"{marker}-user") or net.users["manager_a"]
    collection = unit_collection(unit)
    own_template = make_template(f"{marker}-template", image, [unit])
    newsletter = CommunicationType.objects.get_or_create(
        slug="newsletter", defaults={"name": "Newsletter"}
    )[0]
    import_job, export_job = contact_jobs(unit, manager, marker)
    campaign = make_campaign(template, unit, manager, marker)
    contact = make_contact(unit, marker, newsletter)
    audience = Audience.objects.create(
        name=f"{marker}-audience", unit=unit, communication_type=newsletter
    )
    send, delivery = make_send(campaign, audience, contact, marker)
    return StoreObjects(
        marker=marker,
        unit=unit,
        manager=manager,
        membership=Membership.objects.filter(unit=unit).first(),
        campaign=campaign,
        image=make_image(f"{marker}-image", collection, manager),
        document=make_document(f"{marker}-document", collection, manager),
        availability=ProductAvailability.objects.create(
            product=product, unit=unit, local_price=PRICES[key]
        ),
        template=own_template,
        contact=contact,
        audience=audience,
        import_job=import_job,
        export_job=export_job,
        send=send,
        delivery=delivery,
    )


def build_world() -> World:
    world = World(net=build_network())
    root = Collection.get_first_root_node()
    world.unowned = {
        "image": make_image("NOUNIT-image", root),
        "document": make_document("NOUNIT-document", root),
        "banned_word": BannedWord.objects.create(text="NOUNIT-bannedword"),
    }
    brand = add_brand_collection("Photos")
    brand_image = make_image("Brand hero", brand, world.users["hq"])
    template = make_template("Autumn promotion", brand_image)
    world.unowned["template"] = template
    product = Product.objects.create(sku="FIGUE", name="Figue candle", price="29.00")
    for key in MARKERS:
        world.stores[key] = store_objects(world.net, key, template, product, brand_image)
    world.workflow = make_workflow()
    for key in ("b", "c"):
        store = world.stores[key]
        world.workflow.start(store.campaign, store.manager)
    return world


@pytest.fixture
def world(db):
    """The marked network; see the module's docstring."""
    return build_world()
