"""Demo content library and catalogue: HQ's brand library (photography, logos, price lists,
UK-only imagery), a few store uploads, and 36 products with regional availability and prices.

Every picture and the price list PDF are drawn with Pillow (no binary files in the repository);
each is created once, looked up by title in its collection on the next run.
"""

import datetime
import io
import unicodedata
from decimal import Decimal
from functools import lru_cache

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFilter, ImageFont
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.utils.file import hash_filelike

from home import demo_network as demo
from wagtail_distmark.library.collections import (
    add_brand_collection,
    brand_library_root,
    unit_collection,
)
from wagtail_distmark.models import (
    BrandCollection,
    ImageUsageRights,
    OrgUnit,
    Product,
    ProductAvailability,
)

BRAND = "Maison Lumière"
PHOTO_SIZE = (1200, 800)
A4_150_DPI = (1240, 1754)
CREAM, INK, NAVY = "#f4ead8", "#1b1b1b", "#1d4e89"

#: Brand library sub-collections: name -> region codes that may use it (none: everyone).
BRAND_COLLECTIONS = {
    "Photography": (),
    "Logos": (),
    "Price lists": (),
    "UK campaign imagery": ("ML-UK",),
}

#: (title, top colour, bottom colour, motif)
PHOTOGRAPHY = [
    ("Amber autumn candles", "#c0662f", "#3b1d0e", "candles"),
    ("Scented diffusers", "#d8c7aa", "#5e4b3c", "diffuser"),
    ("Hand-poured soy wax", "#eadbc6", "#8a6f4e", "candles"),
    ("Lavender soap bars", "#a894cf", "#3e2f63", "soaps"),
    ("Winter gift box", "#2a5d9c", "#0b1f3a", "gift"),
    ("Candlelit living room", "#f2a65a", "#2d1b12", "candles"),
    ("Fig & cedar still life", "#7a9d6a", "#22311d", "diffuser"),
    ("Workshop pouring table", "#dcc9a6", "#4a3b2a", "soaps"),
]
UK_IMAGERY = [
    ("London window display", "#9c2a1f", "#2a0a06", "shopfront"),
    ("Afternoon tea candle set", "#86aaa9", "#1f3536", "gift"),
]
#: (username, title, top colour, bottom colour, motif): uploads to the user's store collection.
STORE_UPLOADS = [
    ("manager", "Lyon shop window", "#c9a15b", "#3c2a12", "shopfront"),
    ("manager", "Lyon tasting table", "#e0b98a", "#4b2e1b", "candles"),
    ("manager2", "Marylebone shop front", "#5b7fa6", "#14253a", "shopfront"),
]
#: (title, background, ink, size, monochrome)
LOGOS = [
    ("Logo – colour", "#ffffff", NAVY, (1200, 400), False),
    ("Logo – white on dark", INK, "#ffffff", (1200, 400), False),
    ("Logo – monochrome", "#ffffff", "#000000", (1200, 400), True),
    ("Logo – square icon", NAVY, "#ffffff", (512, 512), False),
]
#: Licensed photos: title -> (starts_on, expires_on) as days from today.
USAGE_RIGHTS = {
    "Candlelit living room": (-170, 10),  # agency licence ending soon
    "Winter gift box": (-400, -30),  # last winter's campaign, expired last month
}

PRICE_LIST = "Price list – Autumn 2026"

CATEGORIES = {
    "Candles": "Hand-poured in our Paris workshop from rapeseed and soy wax, cotton wick.",
    "Diffusers": "Rattan reeds and an alcohol-free base; lasts about three months.",
    "Soaps": "Cold-process soap with shea butter, made in Provence.",
    "Room sprays": "A fine mist for linen and living rooms.",
    "Gift sets": "Wrapped in our recycled-paper box with a hand-written card.",
    "Accessories": "To look after your candles and diffusers.",
}

#: (SKU, name, category, HQ price in EUR)
PRODUCTS = [
    ("CND-001", "Autumn Embers candle 190 g", "Candles", "32.00"),
    ("CND-002", "Fig & Cedar candle 190 g", "Candles", "32.00"),
    ("CND-003", "Orange Blossom candle 190 g", "Candles", "32.00"),
    ("CND-004", "Linen Breeze candle 190 g", "Candles", "29.00"),
    ("CND-005", "Vanilla Bourbon candle 190 g", "Candles", "29.00"),
    ("CND-006", "Tuberose candle 300 g", "Candles", "45.00"),
    ("CND-007", "Three-wick Amber candle 600 g", "Candles", "68.00"),
    ("CND-008", "Travel candle trio 3 × 70 g", "Candles", "36.00"),
    ("CND-009", "Maple & Smoke candle 190 g", "Candles", "34.00"),
    ("CND-010", "English Rose candle 190 g", "Candles", "32.00"),
    ("CND-011", "Lavande de Provence candle 190 g", "Candles", "29.00"),
    ("CND-012", "Christmas Spice candle 300 g", "Candles", "48.00"),
    ("DIF-001", "Fig & Cedar diffuser 200 ml", "Diffusers", "42.00"),
    ("DIF-002", "Orange Blossom diffuser 200 ml", "Diffusers", "42.00"),
    ("DIF-003", "Linen Breeze diffuser 200 ml", "Diffusers", "39.00"),
    ("DIF-004", "Amber diffuser 500 ml", "Diffusers", "72.00"),
    ("DIF-005", "Diffuser refill 500 ml", "Diffusers", "38.00"),
    ("DIF-006", "Earl Grey diffuser 200 ml", "Diffusers", "42.00"),
    ("SOP-001", "Lavender soap bar 100 g", "Soaps", "8.50"),
    ("SOP-002", "Verbena soap bar 100 g", "Soaps", "8.50"),
    ("SOP-003", "Olive & Honey soap bar 100 g", "Soaps", "9.00"),
    ("SOP-004", "Liquid hand soap 300 ml", "Soaps", "18.00"),
    ("SOP-005", "Hand cream 50 ml", "Soaps", "16.00"),
    ("SOP-006", "Soap trio in a box", "Soaps", "24.00"),
    ("SPR-001", "Linen Breeze room spray 100 ml", "Room sprays", "24.00"),
    ("SPR-002", "Fig & Cedar room spray 100 ml", "Room sprays", "24.00"),
    ("SPR-003", "Orange Blossom room spray 100 ml", "Room sprays", "24.00"),
    ("SPR-004", "Pillow mist Lavender 50 ml", "Room sprays", "19.00"),
    ("GFT-001", "Autumn discovery box", "Gift sets", "55.00"),
    ("GFT-002", "Winter gift box", "Gift sets", "79.00"),
    ("GFT-003", "Candle & diffuser duo", "Gift sets", "69.00"),
    ("GFT-004", "Afternoon tea gift set", "Gift sets", "58.00"),
    ("GFT-005", "Gift card 50 €", "Gift sets", "50.00"),
    ("ACC-001", "Brass wick trimmer", "Accessories", "22.00"),
    ("ACC-002", "Candle snuffer", "Accessories", "18.00"),
    ("ACC-003", "Long matches box", "Accessories", "6.00"),
]
REGION_CODES = ("ML-FR", "ML-CA", "ML-UK")
#: Products sold only in some regions (all others: the three regions).
ONLY_IN = {
    "CND-009": ("ML-CA",),  # Maple & Smoke: a Canadian exclusive
    "CND-010": ("ML-UK",),
    "DIF-006": ("ML-UK",),
    "GFT-004": ("ML-UK",),
    "CND-011": ("ML-FR",),
    "GFT-005": ("ML-FR",),  # gift cards: French tills only for now
    "CND-012": ("ML-FR", "ML-UK"),
}
#: Regional prices that replace HQ's, in the region's currency (UK: GBP, Canada: CAD).
LOCAL_PRICES = {
    ("CND-001", "ML-CA"): "35.00",
    ("CND-001", "ML-UK"): "34.00",
    ("CND-007", "ML-CA"): "74.00",
    ("DIF-004", "ML-CA"): "78.00",
    ("DIF-004", "ML-UK"): "76.00",
    ("GFT-002", "ML-UK"): "84.00",
    ("SOP-001", "ML-CA"): "9.50",
}
#: The price lists of the regions that do not sell in euros, from HQ's euro prices (rounded
#: to whole units) where LOCAL_PRICES has no price of its own.
PRICE_LIST_RATES = {"ML-UK": Decimal("0.86"), "ML-CA": Decimal("1.50")}
#: Stores in euros inside a region that is not: they sell at HQ's prices.
EURO_STORES = {"ML-204": "ML-UK"}  # Dublin, in UK & Ireland
#: Store-level exceptions: (SKU, store code) not sold at that store.
NOT_SOLD_AT = [("CND-010", "ML-204")]  # no English Rose in Dublin
#: Product photos, from the brand library's photography.
PRODUCT_IMAGES = {
    "CND-001": "Amber autumn candles",
    "DIF-001": "Scented diffusers",
    "SOP-001": "Lavender soap bars",
}


# Drawing ----------------------------------------------------------------------------------


#: Tried in turn (common on Linux); without them, Pillow's own font, which is ASCII-only.
FONT_FILES = {
    False: ("DejaVuSans.ttf", "LiberationSans-Regular.ttf"),
    True: ("DejaVuSerif.ttf", "LiberationSerif-Regular.ttf"),
}
ASCII = str.maketrans({"–": "-", "—": "-", "€": "EUR", "×": "x", "·": "-"})


@lru_cache
def font(size: int, serif=False):
    for name in FONT_FILES[serif]:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return None


def write(draw: ImageDraw.ImageDraw, xy, text: str, size: int, serif=False, **kwargs):
    """Draw text in a system font, or in Pillow's default one with the accents dropped."""
    chosen = font(size, serif) or font(size, not serif)
    if chosen is None:
        chosen = ImageFont.load_default(size=size)
        text = unicodedata.normalize("NFKD", text.translate(ASCII)).encode("ascii", "ignore")
        text = text.decode()
    draw.text(xy, text, font=chosen, **kwargs)


def gradient(size, top: str, bottom: str) -> PILImage.Image:
    mask = PILImage.linear_gradient("L").resize(size)
    return PILImage.composite(
        PILImage.new("RGB", size, bottom), PILImage.new("RGB", size, top), mask
    )


def glow(picture: PILImage.Image, centres, radius: int, colour="#ffd27a"):
    """Soft light around each centre (candle flames, window lights)."""
    mask = PILImage.new("L", picture.size, 0)
    draw = ImageDraw.Draw(mask)
    for x, y in centres:
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=110)
    mask = mask.filter(ImageFilter.GaussianBlur(radius // 2))
    picture.paste(PILImage.new("RGB", picture.size, colour), mask=mask)


def flame(draw: ImageDraw.ImageDraw, x: int, y: int, height: int, colours=("#ffb347", "#fff3c4")):
    width = height // 2
    outer, inner = colours
    draw.ellipse((x - width // 2, y - height // 2, x + width // 2, y + height // 2), fill=outer)
    draw.ellipse((x - width // 4, y - height // 4, x + width // 4, y + height // 3), fill=inner)


def draw_candles(picture: PILImage.Image):
    w, h = picture.size
    jars = [(w * 0.25, 260, 170), (w * 0.5, 340, 200), (w * 0.75, 220, 160)]
    glow(picture, [(int(x), h - 120 - height - 40) for x, height, _ in jars], 110)
    draw = ImageDraw.Draw(picture)
    for x, height, width in jars:
        left, top = int(x - width / 2), h - 120 - height
        draw.rounded_rectangle((left, top, left + width, h - 120), 18, fill=CREAM)
        draw.rectangle(
            (left, top + height // 3, left + width, top + height // 3 + 50), fill="#c9b48f"
        )
        draw.line((int(x), top, int(x), top - 18), fill=INK, width=4)
        flame(draw, int(x), top - 40, 46)


def draw_diffuser(picture: PILImage.Image):
    w, h = picture.size
    draw = ImageDraw.Draw(picture)
    cx, base = w // 2, h - 120
    for dx in (-150, -90, -40, 20, 70, 130, 170):
        draw.line((cx, base - 250, cx + dx, 90), fill="#3a2a1c", width=6)
    draw.rounded_rectangle((cx - 110, base - 260, cx + 110, base), 30, fill="#d9e6e8")
    draw.rectangle((cx - 35, base - 300, cx + 35, base - 255), fill="#2f2f2f")
    draw.rectangle((cx - 80, base - 170, cx + 80, base - 80), fill=CREAM)
    write(draw, (cx, base - 125), BRAND, 22, fill=INK, anchor="mm")


def draw_soaps(picture: PILImage.Image):
    w, h = picture.size
    draw = ImageDraw.Draw(picture)
    colours = ["#e7dcf5", "#f5efe0", "#dcecd5", "#f3d9cf"]
    for i, colour in enumerate(colours):
        left, top = 260 + i * 40, h - 190 - i * 90
        draw.rounded_rectangle((left, top, left + 520, top + 110), 40, fill=colour, outline=INK)
        write(draw, (left + 260, top + 55), "ML", 40, fill="#8a7a66", anchor="mm")


def draw_gift(picture: PILImage.Image):
    w, h = picture.size
    draw = ImageDraw.Draw(picture)
    left, top, right, bottom = w // 2 - 260, h - 480, w // 2 + 260, h - 110
    draw.rectangle((left, top, right, bottom), fill=CREAM)
    draw.rectangle((left - 20, top - 70, right + 20, top), fill="#ede0c8")
    draw.rectangle((w // 2 - 30, top - 70, w // 2 + 30, bottom), fill="#b3261e")
    draw.rectangle((left, top + 120, right, top + 170), fill="#b3261e")
    draw.ellipse((w // 2 - 130, top - 150, w // 2 - 10, top - 60), outline="#b3261e", width=22)
    draw.ellipse((w // 2 + 10, top - 150, w // 2 + 130, top - 60), outline="#b3261e", width=22)


def draw_shopfront(picture: PILImage.Image):
    w, h = picture.size
    glow(picture, [(w // 2 - 180, h - 300), (w // 2 + 180, h - 300)], 140)
    draw = ImageDraw.Draw(picture)
    left, right = 140, w - 140
    for i in range(12):  # striped awning
        x = left + i * (right - left) // 12
        fill = NAVY if i % 2 else CREAM
        draw.rectangle((x, 150, x + (right - left) // 12, 240), fill=fill)
    draw.rectangle((left, 80, right, 150), fill=INK)
    write(draw, (w // 2, 115), BRAND.upper(), 44, fill=CREAM, anchor="mm")
    draw.rectangle((left + 30, 270, w // 2 - 90, h - 120), outline=CREAM, width=10)
    draw.rectangle((w // 2 + 90, 270, right - 30, h - 120), outline=CREAM, width=10)
    draw.rectangle((w // 2 - 60, 300, w // 2 + 60, h - 120), fill="#3b2a1a")


MOTIFS = {
    "candles": draw_candles,
    "diffuser": draw_diffuser,
    "soaps": draw_soaps,
    "gift": draw_gift,
    "shopfront": draw_shopfront,
}


def photo(title: str, top: str, bottom: str, motif: str) -> PILImage.Image:
    """A 1200 × 800 'photo': gradient, a motif and a caption band."""
    picture = gradient(PHOTO_SIZE, top, bottom)
    MOTIFS[motif](picture)
    band = PILImage.new("RGBA", PHOTO_SIZE, (0, 0, 0, 0))
    ImageDraw.Draw(band).rectangle(
        (0, PHOTO_SIZE[1] - 90, PHOTO_SIZE[0], PHOTO_SIZE[1]), fill=(0, 0, 0, 150)
    )
    picture = PILImage.alpha_composite(picture.convert("RGBA"), band).convert("RGB")
    draw = ImageDraw.Draw(picture)
    write(draw, (40, PHOTO_SIZE[1] - 45), title, 38, fill="white", anchor="lm")
    write(draw, (PHOTO_SIZE[0] - 40, PHOTO_SIZE[1] - 45), BRAND, 26, fill=CREAM, anchor="rm")
    return picture


def logo(background: str, ink: str, size, monochrome=False) -> PILImage.Image:
    picture = PILImage.new("RGB", size, background)
    draw = ImageDraw.Draw(picture)
    w, h = size
    colours = (ink, background) if monochrome else ("#ffb347", "#fff3c4")
    if w == h:  # square icon: monogram in a ring, with a flame
        draw.ellipse((40, 40, w - 40, h - 40), outline=ink, width=14)
        write(draw, (w // 2, h // 2 + 40), "ML", 170, serif=True, fill=ink, anchor="mm")
        flame(draw, w // 2, h // 2 - 120, 70, colours)
        return picture
    flame(draw, 150, h // 2 - 10, 120, colours)
    draw.line((150, h // 2 + 50, 150, h // 2 + 90), fill=ink, width=8)
    write(draw, (250, h // 2 - 30), BRAND, 100, serif=True, fill=ink, anchor="lm")
    write(draw, (256, h // 2 + 70), "PARIS · CANDLES & HOME FRAGRANCE", 34, fill=ink, anchor="lm")
    return picture


def price_list_page() -> PILImage.Image:
    """An A4 page (150 dpi) with the catalogue as a table."""
    page = PILImage.new("RGB", A4_150_DPI, "white")
    draw = ImageDraw.Draw(page)
    w, _ = A4_150_DPI
    margin, row = 90, 36
    flame(draw, margin + 20, 118, 50)
    write(draw, (margin + 60, 120), BRAND, 52, serif=True, fill=NAVY, anchor="lm")
    write(draw, (margin, 200), PRICE_LIST, 38, fill=INK)
    write(
        draw,
        (margin, 250),
        "Recommended retail prices in EUR, VAT included. Valid 1 September – 30 November 2026.",
        20,
        fill="#555555",
    )
    columns = [(margin, "SKU"), (margin + 150, "Product"), (margin + 720, "Category")]
    y = 320
    draw.rectangle((margin - 10, y - 8, w - margin + 10, y + row - 8), fill=NAVY)
    for x, heading in columns:
        write(draw, (x, y), heading, 22, fill="white")
    write(draw, (w - margin, y), "Price", 22, fill="white", anchor="ra")
    for i, (sku, name, category, price) in enumerate(PRODUCTS):
        y += row
        if i % 2:
            draw.rectangle((margin - 10, y - 8, w - margin + 10, y + row - 8), fill="#f1ede4")
        for x, text in zip(
            (margin, margin + 150, margin + 720), (sku, name, category), strict=True
        ):
            write(draw, (x, y), text, 21, fill=INK)
        write(draw, (w - margin, y), f"{price} €", 21, fill=INK, anchor="ra")
    y += row + 40
    draw.line((margin, y, w - margin, y), fill="#999999", width=2)
    write(
        draw,
        (margin, y + 20),
        "Maison Lumière SAS · 12 rue des Lanternes, 75003 Paris · contact@maison-lumiere.example",
        18,
        fill="#555555",
    )
    return page


def price_list_pdf() -> bytes:
    buffer = io.BytesIO()
    price_list_page().save(buffer, "PDF", resolution=150)
    return buffer.getvalue()


# Storing ----------------------------------------------------------------------------------


def brand_collection(name: str, units=()):
    """A sub-collection of the brand library, created once; its audience kept up to date."""
    root = brand_library_root()
    collection = root.get_children().filter(name=name).first()
    if collection is None:
        return add_brand_collection(name, parent=root, units=units)
    brand, _ = BrandCollection.objects.get_or_create(collection=collection)
    brand.units.set(units)
    return collection


def stored_image(title: str, collection, user, draw, *args, fmt="JPEG"):
    """The image titled ``title`` in ``collection``; ``draw(*args)`` makes it the first time."""
    Image = get_image_model()
    existing = Image.objects.filter(title=title, collection=collection).first()
    if existing:
        return existing
    buffer = io.BytesIO()
    draw(*args).save(buffer, format=fmt, **({"quality": 85} if fmt == "JPEG" else {}))
    extension = "jpg" if fmt == "JPEG" else fmt.lower()
    return Image.objects.create(
        title=title,
        collection=collection,
        uploaded_by_user=user,
        file=ImageFile(buffer, name=f"{slugify(title)}.{extension}"),
        file_size=buffer.getbuffer().nbytes,
        file_hash=hash_filelike(buffer),
    )


def stored_document(title: str, collection, user, render):
    Document = get_document_model()
    existing = Document.objects.filter(title=title, collection=collection).first()
    if existing:
        return existing
    data = render()
    return Document.objects.create(
        title=title,
        collection=collection,
        uploaded_by_user=user,
        file=ContentFile(data, name=f"{slugify(title)}.pdf"),
        file_size=len(data),
        file_hash=hash_filelike(io.BytesIO(data)),
    )


def set_usage_rights(images: dict):
    today = timezone.localdate()
    for title, (starts, expires) in USAGE_RIGHTS.items():
        ImageUsageRights.objects.update_or_create(
            image=images[title],
            defaults={
                "starts_on": today + datetime.timedelta(days=starts),
                "expires_on": today + datetime.timedelta(days=expires),
            },
        )


def load_brand_library(hq_user) -> tuple[dict, list]:
    """The brand library's collections and files; returns (photography by title, all files)."""
    regions = {u.code: u for u in OrgUnit.objects.filter(code__in=REGION_CODES)}
    collections = {
        name: brand_collection(name, [regions[code] for code in codes])
        for name, codes in BRAND_COLLECTIONS.items()
    }
    photos, logos, uk = {}, [], []
    for title, top, bottom, motif in PHOTOGRAPHY:
        collection = collections["Photography"]
        photos[title] = stored_image(title, collection, hq_user, photo, title, top, bottom, motif)
    for title, *args in LOGOS:
        logos.append(stored_image(title, collections["Logos"], hq_user, logo, *args, fmt="PNG"))
    for title, top, bottom, motif in UK_IMAGERY:
        collection = collections["UK campaign imagery"]
        uk.append(stored_image(title, collection, hq_user, photo, title, top, bottom, motif))
    price_list = stored_document(PRICE_LIST, collections["Price lists"], hq_user, price_list_pdf)
    set_usage_rights(photos)
    return photos, [*photos.values(), *logos, *uk, price_list]


def load_store_uploads() -> list:
    """A few pictures the store managers uploaded to their own collections."""
    User = get_user_model()
    store_of = {username: code for username, *_, code in demo.USERS}
    uploads = []
    for username, title, top, bottom, motif in STORE_UPLOADS:
        user = User.objects.get(username=username)
        collection = unit_collection(OrgUnit.objects.get(code=store_of[username]))
        uploads.append(stored_image(title, collection, user, photo, title, top, bottom, motif))
    return uploads


def regional_price(sku: str, code: str, hq_price: str) -> Decimal | None:
    """A region's own price of a product, in its currency; None: HQ's euro price."""
    if (sku, code) in LOCAL_PRICES:
        return Decimal(LOCAL_PRICES[sku, code])
    if code in PRICE_LIST_RATES:
        return (Decimal(hq_price) * PRICE_LIST_RATES[code]).quantize(Decimal("1"))
    return None


def load_catalogue(photos: dict) -> list:
    """Upsert the products by SKU, with where each is sold and at what price."""
    units = {u.code: u for u in OrgUnit.objects.filter(code__startswith="ML-")}
    products = []
    for sku, name, category, price in PRODUCTS:
        defaults = {
            "name": name,
            "category": category,
            "price": Decimal(price),
            "currency": "EUR",
            "active": True,
            "description": f"{name}. {CATEGORIES[category]}",
        }
        if sku in PRODUCT_IMAGES:
            defaults["image"] = photos[PRODUCT_IMAGES[sku]]
        product, _ = Product.objects.update_or_create(sku=sku, defaults=defaults)
        regions = ONLY_IN.get(sku, REGION_CODES)
        for code in regions:
            ProductAvailability.objects.update_or_create(
                product=product,
                unit=units[code],
                defaults={"available": True, "local_price": regional_price(sku, code, price)},
            )
        for store, region in EURO_STORES.items():
            if region in regions:
                ProductAvailability.objects.update_or_create(
                    product=product,
                    unit=units[store],
                    defaults={"available": True, "local_price": Decimal(price)},
                )
        products.append(product)
    by_sku = {p.sku: p for p in products}
    for sku, code in NOT_SOLD_AT:
        ProductAvailability.objects.update_or_create(
            product=by_sku[sku],
            unit=units[code],
            defaults={"available": False, "local_price": None},
        )
    return products


def load() -> dict:
    """Create or update the content library and the catalogue; returns counts for the report."""
    hq_user = get_user_model().objects.filter(username="hq").first()
    photos, brand_files = load_brand_library(hq_user)
    uploads = load_store_uploads()
    products = load_catalogue(photos)
    return {
        "brand collections": len(BRAND_COLLECTIONS),
        "brand files": len(brand_files),
        "store uploads": len(uploads),
        "products": len(products),
    }
