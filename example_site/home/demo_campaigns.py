"""Demo brand templates (each with locked, editable and constrained zones) and campaigns."""

import datetime
import io

from django.core.files.images import ImageFile
from django.utils import timezone
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.images import get_image_model

from home.demo_library import brand_collection
from wagtail_distmark.blocks import zone_data as zone
from wagtail_distmark.models import BrandTemplate, ImageUsageRights, LocalCampaign, OrgUnit

LEGAL = (
    "Maison Lumière SAS, 12 rue des Lanternes, 75003 Paris. You receive this e-mail because "
    "you signed up in one of our stores."
)


def demo_image(title: str, colour: str, collection, size=(1200, 600)):
    """A generated picture (no binary files in the repository), created once in ``collection``
    of the brand library, so that units can choose it again after replacing it in a campaign.
    Moved there if an earlier demo left it elsewhere (Wagtail's root collection)."""
    Image = get_image_model()
    existing = Image.objects.filter(title=title).first()
    if existing:
        if existing.collection_id != collection.pk:
            existing.collection = collection
            existing.save(update_fields=["collection"])
        return existing
    picture = PILImage.new("RGB", size, colour)
    ImageDraw.Draw(picture).text((40, size[1] // 2 - 10), title, fill="white")
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    filename = f"{title.lower().replace(' ', '-')}.png"
    return Image.objects.create(
        title=title, file=ImageFile(buffer, name=filename), collection=collection
    )


def templates_data(images):
    logo_content = {"logo": images["logo"].pk, "alt": "Maison Lumière",
                    "link": "https://maison-lumiere.example"}  # fmt: skip
    logo = zone("logo", "logo_header", logo_content, "locked")
    legal = zone("legal", "legal_footer", {"text": LEGAL, "unsubscribe_label": "Unsubscribe"},
                 "locked")  # fmt: skip
    store = zone("store", "local_footer", {"intro": "See you soon in your store:"})
    return [
        {
            "name": "Seasonal promotion",
            "thumbnail": images["autumn"],
            "description": "An autumn offer: choose your discount between 5 and 20 %.",
            "subject": "Autumn at {{ unit.name }}: your offer inside",
            "preheader": "New candles and a members' discount",
            "body": [
                logo,
                zone(
                    "hero",
                    "hero",
                    {
                        "image": images["autumn"].pk,
                        "alt": "Autumn candles",
                        "heading": "Autumn has arrived, {{ contact.first_name }}",
                        "text": "Our new seasonal scents are in store.",
                    },
                    "constrained",
                    max_chars=80,
                    required=True,
                ),
                zone(
                    "offer",
                    "offer",
                    {
                        "title": "Members' offer",
                        "discount": 10,
                        "text": "In store, on the autumn collection.",
                        "valid_until": None,
                    },
                    "constrained",
                    min_value="5",
                    max_value="20",
                    max_chars=60,
                ),
                zone(
                    "cta",
                    "button",
                    {"label": "Find your store", "url": "https://maison-lumiere.example/stores"},
                    "constrained",
                    choices="Find your store\nBook a visit",
                ),
                store,
                legal,
            ],  # fmt: skip
        },
        {
            "name": "New store opening",
            "thumbnail": images["opening"],
            "description": "Announce your opening: free text for your neighbourhood.",
            "subject": "{{ unit.name }} opens its doors",
            "preheader": "Come and celebrate with us",
            "subject_editable": False,
            "body": [
                logo,
                zone(
                    "hero",
                    "hero",
                    {
                        "image": images["opening"].pk,
                        "alt": "Our new store",
                        "heading": "We are opening!",
                        "text": "",
                    },
                ),
                zone("story", "rich_text", "<p>Tell your neighbours about the opening day.</p>"),
                store,
                legal,
            ],  # fmt: skip
        },
        {
            "name": "Monthly newsletter",
            "thumbnail": images["workshop"],
            "description": "HQ's news with a local word from your store.",
            "subject": "News from Maison Lumière",
            "preheader": "This month in our workshops",
            "body": [
                logo,
                zone(
                    "news",
                    "two_columns",
                    {
                        "left": {
                            "image": images["workshop"].pk,
                            "alt": "Our workshop",
                            "heading": "In the workshop",
                            "text": "How we pour our candles.",
                        },
                        "right": {
                            "image": images["autumn"].pk,
                            "alt": "Autumn range",
                            "heading": "New range",
                            "text": "Six scents for the season.",
                        },
                    },
                    "locked",
                ),
                zone(
                    "local",
                    "rich_text",
                    "<p>Hello {{ contact.first_name }}, a word from your store.</p>",
                    "constrained",
                    max_chars=400,
                ),
                store,
                legal,
            ],  # fmt: skip
        },
    ]


def load() -> list[str]:
    """Create or update the demo templates and three campaigns of the Lyon store."""
    logos, photos = brand_collection("Logos"), brand_collection("Photography")
    images = {
        "logo": demo_image("Maison Lumière logo", "#1d4e89", logos, (600, 200)),
        "autumn": demo_image("Autumn candles", "#b5562b", photos),
        "opening": demo_image("Store opening", "#2b7a5b", photos),
        "workshop": demo_image("Candle workshop", "#6b4c9a", photos),
    }
    templates = {}
    for data in templates_data(images):
        template, _ = BrandTemplate.objects.update_or_create(
            name=data["name"], defaults={**data, "live": True}
        )
        template.full_clean()  # the demo must obey the rules it demonstrates
        templates[template.name] = template
    lyon = OrgUnit.objects.get(code="ML-001")
    drafts = [
        ("Autumn in Lyon", "Seasonal promotion"),
        ("Lyon newsletter", "Monthly newsletter"),  # approved, ready to send (demo_sending)
        ("Lyon newsletter — next month", "Monthly newsletter"),  # waits for approval
    ]
    for name, template_name in drafts:
        template = templates[template_name]
        campaign, _ = LocalCampaign.objects.get_or_create(
            unit=lyon, name=name,
            defaults={"template": template, "subject": template.subject,
                      "preheader": template.preheader, "body": template.campaign_body_data(),
                      "live": False},
        )  # fmt: skip
        campaign.full_clean()
    # The photo of the autumn campaigns is licensed for three more weeks: HQ's report
    # "Expiring images" lists the Lyon campaign that uses it.
    ImageUsageRights.objects.update_or_create(
        image=images["autumn"],
        defaults={"expires_on": timezone.localdate() + datetime.timedelta(days=21)},
    )
    return list(templates)
