"""Benchmark of e-mail rendering: ``compile_email()`` per unit, then ``personalise()``.

Run from the repository root (not part of the test suite)::

    .venv/bin/python bench/render.py [--units 100] [--recipients 10000]

It sets Django up on a throwaway SQLite database and media directory, creates an org tree
(the head office, four regions, ``--units`` stores with full profiles), a handful of real
images (``wagtail_factories.ImageFactory``), catalogue products with regional and local
prices, and a realistic 12-block campaign, then measures:

1. the compile time of the campaign for each store (the unit's prices, blocks → MJML →
   HTML with mjml-python, plain text, merge templates): median, p95 and mean, as a send
   compiles (MJML documents already compiled for another store are reused) and with every
   document compiled afresh; the HTML size, the SQL queries of each compile, and a
   breakdown of one compile into its steps;
2. the throughput of ``CompiledEmail.personalise()`` on one core for ``--recipients``
   synthetic recipients spread over the compiled stores (median of ``--runs`` runs).

Checks, in every mode: each store's e-mail (its language, its prices as the catalogue
computes them, no empty article label, the same HTML and text whether its MJML was compiled
afresh or reused), the number of SQL queries of each compile (the same for every store),
and a sample of personalised e-mails (names escaped in the HTML, raw in the text, no merge
tag left).

It prints PASS or MISS against the targets (compile at most 1 ms per campaign and unit,
median; at least 10,000 personalised e-mails/s) and, for a missed target (or with
``--profile``), the functions where the time goes, by cProfile. ``--quick`` (CI) runs tiny
sizes, keeps every check and judges no speed. Exit status: 2 if a check fails, else 1 if a
target is missed (never with ``--quick``), else 0.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import html
import io
import math
import os
import pstats
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_SITE_DIR = REPO_ROOT / "example_site"
SETTINGS_MODULE = "example_site.settings.test"

SEED = 20261122
BASE_URL = "https://brand.example"
SUBJECT = "{{ contact.first_name }}, autumn at {{ unit.name }}"
PREHEADER = "Up to −20 % in your store this week"

#: Images in the campaign: logo, hero, two columns, three products.
IMAGES = 7

#: The targets.
COMPILE_TARGET_MS = 1.0
PERSONALISE_TARGET_PER_S = 10_000

#: SQL queries of a compile once the renditions are cached: the unit's prices.
COMPILE_QUERIES = 1

REGIONS = (
    # (code, name, country, locale, timezone, cities: (city, postal code, phone prefix))
    ("FR", "France", "FR", "fr", "Europe/Paris",
     (("Lyon", "69002", "+33 4 78"), ("Bordeaux", "33000", "+33 5 56"),
      ("Lille", "59800", "+33 3 20"), ("Nantes", "44000", "+33 2 40"))),
    ("CA", "Canada", "CA", "fr-CA", "America/Toronto",
     (("Montréal", "H2W 1Y8", "+1 514 555"), ("Québec", "G1R 1N4", "+1 418 555"),
      ("Toronto", "M6J 1E9", "+1 416 555"))),
    ("UK", "United Kingdom", "GB", "en-GB", "Europe/London",
     (("London", "N1 9GU", "+44 20 7946"), ("Manchester", "M1 1AD", "+44 161 496"),
      ("Edinburgh", "EH1 1YZ", "+44 131 496"))),
    ("BE", "Belgium", "BE", "fr", "Europe/Brussels",
     (("Bruxelles", "1000", "+32 2 555"), ("Liège", "4000", "+32 4 555"))),
)  # fmt: skip
STREETS = (
    "rue de la République", "quai des Chartrons", "place Graslin", "boulevard Saint-Laurent",
    "Queen St W", "Upper Street", "rue Neuve", "Grand-Rue", "Market Street", "cours Mirabeau",
)  # fmt: skip
STORE_NAMES = ("Centre", "Old Town", "Riverside", "Station", "Market Hall", "Presqu'île")
MANAGERS = (
    "Claire Dubois", "Julien Marchand", "Émilie Tremblay", "Priya Singh", "Liam Chen",
    "Sarah MacDonald", "Karim Benali", "Anne Le Goff", "Sophie Lefèvre", "Marc Gagnon",
)  # fmt: skip
HOURS = (
    "Mon–Sat 10:00–19:00",
    "Tue–Sat 10:00–19:00, Sun 11:00–17:00",
    "Mon–Sun 10:00–20:00",
    "Mon–Fri 09:30–18:30\nSat 10:00–18:00",
)

FIRST_NAMES = (
    "Ana", "Bo", "Chloé", "Dmitri", "Élodie", "Fatima", "Grégoire", "Hiroshi", "Inès", "Jonas",
    "Kévin", "Léa", "Mateo", "Noémie", "Oscar", "Paula", "Quentin", "Rosa", "Siobhán", "Tomás",
)  # fmt: skip
LAST_NAMES = (
    "Martin", "Bernard", "Nguyen", "Smith", "Tremblay", "García", "Müller", "Rossi", "Kowalski",
    "Dupont", "Lefebvre", "Roy", "Singh", "Chen", "Murphy", "Fontaine",
)  # fmt: skip
#: Names that must be escaped in HTML: one recipient in ten gets one.
TRICKY_FIRST_NAMES = ("Ana <3", "Zoë & Léa", 'Anne "Nan"', "Jean-<b>Luc</b>", "Seán & Co")
TRICKY_LAST_NAMES = ("O'Brien", "D'Amico", "Smith & Sons", "<script>x</script>", 'Le "Grand"')


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def setup_django(directory: Path) -> None:
    """Django on a SQLite file and a media directory in ``directory``; migrated."""
    os.environ["DATABASE_URL"] = f"sqlite:///{directory / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    for path in (EXAMPLE_SITE_DIR, REPO_ROOT):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))

    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    settings.MEDIA_ROOT = str(directory / "media")  # before any storage is used
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    log(f"migrated in {time.perf_counter() - started:.1f} s")


# --- Data ----------------------------------------------------------------------------------


def create_network(stores: int) -> list:
    """The head office, four regions and ``stores`` stores, with full profiles."""
    from wagtail_distmark.models import OrgUnit

    hq = OrgUnit.add_root(
        instance=OrgUnit(
            name="Maison Lumière HQ",
            code="ML-HQ",
            kind="headquarters",
            address_line_1="12 rue des Lanternes",
            city="Paris",
            postal_code="75003",
            country="FR",
            phone="+33 1 42 00 00 00",
            email="contact@maison-lumiere.example",
            website="https://maison-lumiere.example",
            sender_name="Maison Lumière",
            locale="fr",
            timezone="Europe/Paris",
            opening_hours="Mon–Fri 09:00–18:00",
        )
    )
    regions = []
    for code, name, country, locale, timezone, _cities in REGIONS:
        hq.refresh_from_db()
        regions.append(
            hq.add_child(
                instance=OrgUnit(
                    name=f"Maison Lumière {name}",
                    code=f"ML-{code}",
                    kind="region",
                    country=country,
                    locale=locale,
                    timezone=timezone,
                    sender_name=f"Maison Lumière {name}",
                )
            )
        )
    units = []
    for number in range(1, stores + 1):
        region = regions[number % len(regions)]
        code, _name, country, locale, timezone, cities = REGIONS[number % len(REGIONS)]
        city, postal_code, phone = cities[number % len(cities)]
        region.refresh_from_db()
        units.append(
            region.add_child(
                instance=OrgUnit(
                    name=f"{city} {STORE_NAMES[number % len(STORE_NAMES)]}",
                    code=f"ML-{code}-{number:04d}",
                    kind="unit",
                    address_line_1=f"{number % 180 + 1} {STREETS[number % len(STREETS)]}",
                    address_line_2="Ground floor" if number % 7 == 0 else "",
                    city=city,
                    postal_code=postal_code,
                    country=country,
                    phone=f"{phone} {number:04d}",
                    email=f"store{number:04d}@maison-lumiere.example",
                    website=f"https://maison-lumiere.example/stores/{number:04d}",
                    sender_name=MANAGERS[number % len(MANAGERS)],
                    locale=locale,
                    timezone=timezone,
                    opening_hours=HOURS[number % len(HOURS)],
                )
            )
        )
    return units


def create_images() -> dict:
    from wagtail_factories import ImageFactory

    sizes = {
        "logo": (600, 200),
        "hero": (1600, 800),
        "left": (800, 600),
        "right": (800, 600),
        "product_1": (800, 800),
        "product_2": (800, 800),
        "product_3": (800, 800),
    }
    return {
        key: ImageFactory(title=key, file__width=width, file__height=height)
        for key, (width, height) in sizes.items()
    }


#: The catalogue products of the grid: (image key, name, HQ price in euros).
PRODUCTS = (
    ("product_1", "Figue & Cassis candle", "29.00"),
    ("product_2", 'Ambre "Nuit" diffuser', "32.00"),
    ("product_3", "Bois d'hiver gift box", "49.00"),
)


#: Local prices: (product key, unit code, price in that unit's currency); ``None`` is the
#: first store.
LOCAL_PRICES = (("product_1", "ML-CA", "42.00"), ("product_2", "ML-UK", "27.00"),
                ("product_3", None, "45.00"))  # fmt: skip


def create_products(images: dict, units: list) -> dict:
    """The grid's products, sold network-wide (one availability row on the head office),
    two at a regional price (in CAD, in GBP) and one at the first store's own price."""
    from decimal import Decimal

    from wagtail_distmark.models import OrgUnit, Product, ProductAvailability

    products = {}
    for number, (key, name, price) in enumerate(PRODUCTS, start=1):
        product = Product.objects.create(
            sku=f"ML-{number:03d}", name=name, price=Decimal(price), image=images[key]
        )
        ProductAvailability.objects.create(product=product, unit=units[0].get_root())
        products[key] = product
    for key, code, price in LOCAL_PRICES:
        unit = OrgUnit.objects.get(code=code) if code else units[0]
        ProductAvailability.objects.create(
            product=products[key], unit=unit, local_price=Decimal(price)
        )
    return products


def campaign_data(images: dict, products: dict) -> list[tuple[str, object]]:
    """A realistic autumn campaign: 12 blocks, every text one with merge tags or markup."""
    return [
        ("logo_header", {"logo": images["logo"].pk, "alt": "Maison Lumière",
                         "link": "https://brand.example/?utm_source=email&utm_campaign=autumn"}),
        ("hero", {"image": images["hero"].pk, "alt": "Candles lit on an autumn table",
                  "heading": "{{ contact.first_name }}, autumn is here",
                  "text": "Our new collection has arrived at {{ unit.name }}.\n"
                          "Come and smell it: we are open {{ unit.opening_hours }}."}),
        ("rich_text", '<p>Dear {{ contact.first_name }} {{ contact.last_name }},</p>'
                      "<p>This autumn we have <b>twelve new scents</b>, from <i>figue</i> to "
                      '<i>bois d\'hiver</i>. <a href="https://brand.example/autumn?utm_source='
                      'email&amp;utm_campaign=autumn">Discover the collection</a>.</p>'
                      "<ul><li>Hand-poured in Grasse</li><li>Natural wax</li>"
                      "<li>50 hours of burning</li></ul>"),
        ("two_columns", {
            "left": {"image": images["left"].pk, "alt": "The workshop",
                     "heading": "Made by hand", "text": "Every candle is poured by hand."},
            "right": {"image": images["right"].pk, "alt": "{{ unit.name }} shop window",
                      "heading": "In your store", "text": "Call us on {{ unit.phone }}."}}),
        ("spacer", {"height": 16, "divider": True}),
        ("offer", {"title": "Members' offer", "discount": 20,
                   "text": "In store only, on presentation of this e-mail at {{ unit.name }}.",
                   "valid_until": "2026-11-30"}),
        ("product_grid", {"heading": "Our picks for you, {{ contact.first_name }}", "products": [
            {"product": products[key].pk,
             "url": f"https://brand.example/p/{key}?utm_source=email&utm_campaign=autumn"}
            for key, _name, _price in PRODUCTS]}),
        ("button", {"label": "Shop the collection",
                    "url": "https://brand.example/autumn?utm_source=email&utm_campaign=autumn"}),
        ("local_footer", {"intro": "Your store, {{ unit.sender_name }} and the team"}),
        ("social_links", {"links": [
            {"network": "instagram", "url": "https://instagram.com/maisonlumiere"},
            {"network": "facebook", "url": "https://facebook.com/maisonlumiere"},
            {"network": "pinterest", "url": "https://pinterest.com/maisonlumiere"}]}),
        ("legal_footer", {"text": "Maison Lumière SAS, 12 rue des Lanternes, 75003 Paris.\n"
                                  "You receive this e-mail as a member of {{ unit.name }}.",
                          "unsubscribe_label": "Unsubscribe"}),
        ("spacer", {"height": 24, "divider": False}),
    ]  # fmt: skip


def build_stream(images: dict, products: dict):
    from wagtail import blocks

    from wagtail_distmark.blocks import email_blocks

    stream_block = blocks.StreamBlock(email_blocks())
    data = campaign_data(images, products)
    stream = stream_block.to_python([{"type": name, "value": value} for name, value in data])
    stream_block.clean(stream)  # the campaign is one HQ could save: valid merge tags, links
    return stream


def make_recipients(count: int, rng: random.Random) -> list[dict]:
    recipients = []
    for i in range(count):
        tricky = i % 10 == 3
        first = rng.choice(TRICKY_FIRST_NAMES if tricky else FIRST_NAMES)
        last = rng.choice(TRICKY_LAST_NAMES if tricky and i % 20 == 3 else LAST_NAMES)
        recipients.append(
            {"first_name": first, "last_name": last, "email": f"contact{i:06d}@mail.example"}
        )
    return recipients


def make_links(count: int, rng: random.Random) -> list[dict]:
    """Per-recipient links, made before timing (signing them is not personalise()'s job)."""
    links = []
    for i in range(count):
        token = f"{rng.getrandbits(128):032x}"
        links.append(
            {
                "unsubscribe_url": f"{BASE_URL}/u/{token}?c={i}&list=autumn",
                "view_online_url": f"{BASE_URL}/v/{token}",
            }
        )
    return links


# --- Measures ------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@dataclass
class CompileFigures:
    samples_ms: list[float]  # as a send compiles: documents compiled for another unit reused
    fresh_ms: list[float]  # every MJML document compiled afresh
    html_kb: list[float]
    mjml_kb: list[float]
    steps_ms: dict[str, float]
    cold_ms: float
    queries: list[int]  # of a warm compile, for each unit
    documents: int  # distinct MJML documents among the units
    cpu_ms: tuple[list[float], list[float]]  # process CPU time: as sent, afresh

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def fresh_median_ms(self) -> float:
        return statistics.median(self.fresh_ms)


def measure_compile(stream, units: list, rounds: int) -> tuple[list, CompileFigures]:
    """Time ``compile_email()`` ``rounds`` times for each unit, as a send compiles (an MJML
    document already compiled for another unit is reused) and with every document compiled
    afresh; then a breakdown of each compile, step by step."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    contexts = unit_contexts(units)
    images = stream_images(stream)
    assert len(images) == IMAGES, images

    started = time.perf_counter()
    compile_for(stream, contexts[0])  # cold: generates the renditions, runs the lazy to_python
    cold_ms = (time.perf_counter() - started) * 1000
    for context in contexts:  # warm-up
        compile_for(stream, context)
        breakdown(stream, context, images)
    queries = []
    for context in contexts:
        with CaptureQueriesContext(connection) as captured:
            compile_for(stream, context)
        queries.append(len(captured))

    samples, fresh, compiled, html_kb, mjml_kb, sources = [], [], [], [], [], set()
    samples_cpu, fresh_cpu = [], []
    steps: dict[str, list[float]] = {}
    gc.collect()
    for _ in range(rounds):
        compiled = []
        for context in contexts:
            started, cpu_started = time.perf_counter(), time.process_time()
            compiled.append(compile_for(stream, context))
            samples_cpu.append((time.process_time() - cpu_started) * 1000)
            samples.append((time.perf_counter() - started) * 1000)
        for context in contexts:
            forget_documents()
            started, cpu_started = time.perf_counter(), time.process_time()
            compile_for(stream, context)
            fresh_cpu.append((time.process_time() - cpu_started) * 1000)
            fresh.append((time.perf_counter() - started) * 1000)
        for context in contexts:
            step_ms, html_size, source = breakdown(stream, context, images)
            for name, ms in step_ms.items():
                steps.setdefault(name, []).append(ms)
            html_kb.append(html_size / 1024)
            mjml_kb.append(len(source) / 1024)
            sources.add(source)

    medians = {name: statistics.median(values) for name, values in steps.items()}
    figures = CompileFigures(
        samples, fresh, html_kb, mjml_kb, medians, cold_ms, queries, len(sources),
        (samples_cpu, fresh_cpu),
    )  # fmt: skip
    return compiled, figures


def forget_documents() -> None:
    """Drop the compiled MJML documents a send would reuse."""
    from wagtail_distmark.campaigns.rendering import html_template
    from wagtail_distmark.markup.mjml import compile_mjml

    compile_mjml.cache_clear()
    html_template.cache_clear()


def unit_contexts(units: list) -> list:
    """One render context per unit; one campaign fanned out to many units shares its image
    URLs, as a send would."""
    from wagtail_distmark.blocks import EmailContext

    image_urls: dict = {}
    return [EmailContext(unit=u, base_url=BASE_URL, image_urls=image_urls) for u in units]


def compile_for(stream, context):
    from wagtail_distmark.campaigns.rendering import compile_email

    return compile_email(stream, subject=SUBJECT, preheader=PREHEADER, context=context)


def stream_images(stream) -> list:
    """The image instances of the campaign's stream, as its blocks use them."""
    found = []
    for child in stream:
        value = child.value
        if child.block_type == "logo_header":
            found.append(value["logo"])
        elif child.block_type == "hero":
            found.append(value["image"])
        elif child.block_type == "two_columns":
            found += [value[side]["image"] for side in ("left", "right")]
        elif child.block_type == "product_grid":
            found += [item["product"].image for item in value["products"]]
    return [image for image in found if image is not None]


def breakdown(stream, context, images: list) -> tuple[dict[str, float], int, str]:
    """ms of each step of ``compile_email()`` done by hand (the MJML compiled afresh), the
    HTML's size and the MJML document.

    The image URLs are resolved inside the blocks' ``render_mjml()``; they are timed once
    more on their own, to show their share of it.
    """
    from wagtail_distmark.campaigns.rendering import (
        catalogue_products,
        render_head,
        render_mjml,
        render_text,
    )
    from wagtail_distmark.markup.merge_tags import MergeTemplate, unit_values
    from wagtail_distmark.markup.mjml import DEFAULT_HEAD, compile_mjml, document

    t0 = time.perf_counter()
    context = context.with_prices(catalogue_products(stream))
    t1 = time.perf_counter()
    body = render_mjml(stream, context)
    t2 = time.perf_counter()
    source = document(
        body,
        title=SUBJECT,
        preheader=PREHEADER,
        head=DEFAULT_HEAD + render_head(stream),
        lang=context.language,
    )
    compiled = compile_mjml.__wrapped__(source)  # afresh, not from the kept documents
    t3 = time.perf_counter()
    text = render_text(stream, context)
    t4 = time.perf_counter()
    MergeTemplate(SUBJECT, escape=str)
    MergeTemplate(compiled, escape=html.escape)
    MergeTemplate(text, escape=str)
    unit_values(context.unit)
    t5 = time.perf_counter()
    for image in images:
        context.image_url(image)
    t6 = time.perf_counter()
    steps = {
        f"unit's prices ({COMPILE_QUERIES} query)": t1 - t0,
        "blocks → MJML (render_mjml)": t2 - t1,
        f"  of which {len(images)} image URLs (cached)": t6 - t5,
        "document + mjml2html, afresh": t3 - t2,
        "plain text (render_text)": t4 - t3,
        "merge templates + unit values": t5 - t4,
    }
    return {name: seconds * 1000 for name, seconds in steps.items()}, len(compiled), source


def check_compiled(stream, units: list, compiled: list, links: dict) -> list[str]:
    """Problems in each unit's e-mail: its language, its prices (as the catalogue's
    ``available_at()`` computes them, in the unit's locale), an empty article label, or a
    difference between the e-mail compiled afresh and the one a send would reuse."""
    from wagtail_distmark.formats import format_price
    from wagtail_distmark.models import Product

    problems = []
    contact = {"first_name": "Ana", "last_name": "O'Brien", "email": "ana@mail.example"}
    for unit, context, email in zip(units, unit_contexts(units), compiled, strict=True):
        personal = email.personalise(contact, links=links)
        lang = re.search(r'<html lang="([^"]*)"', personal.html)
        if not lang or lang.group(1) != unit.locale:
            problems.append(f"{unit.code}: <html lang> is not the unit's locale {unit.locale}")
        if 'aria-label=""' in personal.html:
            problems.append(f"{unit.code}: an empty aria-label")
        for product in Product.objects.available_at(unit):
            price = format_price(product.unit_price, product.price_currency, unit.locale)
            if html.escape(price) not in personal.html or f"{product.name} {price}" not in (
                personal.text
            ):
                problems.append(f"{unit.code}: {product.name} is not shown at {price}")
        forget_documents()
        if compile_for(stream, context).personalise(contact, links=links) != personal:
            problems.append(f"{unit.code}: compiled afresh, the e-mail is not the same")
    return problems


def check_sample(
    compiled: list, recipients: list[dict], links: list[dict]
) -> tuple[int, list[str]]:
    """The sample's size and the problems found in it (it holds every kind of tricky name)."""
    problems = []
    tricky = [i for i in range(len(recipients)) if i % 10 == 3][:200]
    sample = tricky + list(range(0, min(200, len(recipients)), 7))
    for i in sample:
        recipient, email = recipients[i], compiled[i % len(compiled)]
        unit_name = email.base_values["unit.name"]
        personal = email.personalise(recipient, links=links[i])
        first, last = recipient["first_name"], recipient["last_name"]

        def fail(what, i=i, first=first):
            problems.append(f"recipient {i} ({first!r}): {what}")

        for part in ("subject", "html", "text"):
            if "{{" in getattr(personal, part) or "}}" in getattr(personal, part):
                fail(f"a merge tag is left in the {part}")
        if personal.subject != f"{first}, autumn at {unit_name}":
            fail(f"subject {personal.subject!r}")
        for name in (first, last):
            if html.escape(name) not in personal.html:
                fail(f"{name!r} is not in the HTML, escaped")
            if name not in personal.text:
                fail(f"{name!r} is not in the text, as typed")
            if name != html.escape(name) and name in personal.html:
                fail(f"{name!r} is in the HTML unescaped")
        if html.escape(links[i]["unsubscribe_url"]) not in personal.html:
            fail("the unsubscribe link is not in the HTML, escaped")
        if links[i]["unsubscribe_url"] not in personal.text:
            fail("the unsubscribe link is not in the text")
        if html.escape(unit_name) not in personal.html or unit_name not in personal.text:
            fail(f"the unit's name {unit_name!r} is missing")
        sources = re.findall(r'<img[^>]* src="([^"]*)"', personal.html)
        ours = [src for src in sources if src.startswith(f"{BASE_URL}/media/images/")]
        if len(ours) != IMAGES or not all(urlsplit(src).scheme == "https" for src in sources):
            fail(f"expected {IMAGES} images at {BASE_URL}/media/, all absolute: {sources}")
        if email.base_values["unit.phone"] not in personal.html:
            fail("the unit's phone number is missing")
    return len(sample), problems


def measure_personalise(
    compiled: list, recipients: list[dict], links: list[dict], runs: int
) -> tuple[list[float], list[float]]:
    """E-mails per second of each run over every recipient (results dropped, as when sent).

    Recipient ``i`` belongs to unit ``i % units``. Returns the rates by wall-clock time and
    by the process's CPU time (which leaves out time the process waited for a busy CPU).
    """
    jobs = [
        (compiled[i % len(compiled)], recipient, links[i]) for i, recipient in enumerate(recipients)
    ]
    for email, recipient, link in jobs[:200]:  # warm-up
        email.personalise(recipient, links=link)
    rates, cpu_rates = [], []
    for _ in range(runs):
        gc.collect()
        started, cpu_started = time.perf_counter(), time.process_time()
        for email, recipient, link in jobs:
            email.personalise(recipient, links=link)
        cpu_rates.append(len(jobs) / (time.process_time() - cpu_started))
        rates.append(len(jobs) / (time.perf_counter() - started))
    return rates, cpu_rates


def profile(title: str, action: Callable[[], object], limit: int = 18) -> None:
    """Print the top functions of ``action()`` by own time, then by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    action()
    profiler.disable()
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats(order).print_stats(limit)
        lines = out.getvalue().splitlines()
        start = next(i for i, line in enumerate(lines) if "ncalls" in line)
        total = next((line.strip() for line in lines if "function calls" in line), "")
        print(f"\ncProfile of {title}, by {order} ({total}):")
        print("\n".join("  " + line for line in lines[start:] if line.strip()))


# --- Main ----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=100, help="stores to compile for")
    parser.add_argument("--recipients", type=int, default=10_000, help="synthetic recipients")
    parser.add_argument("--runs", type=int, default=5, help="timed personalisation runs")
    parser.add_argument(
        "--compile-rounds", type=int, default=3, help="timed compiles of each unit (default 3)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="print the cProfile listings even on PASS"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="CI's run: 5 units, 500 recipients, one run; every check still made (a failed "
        "one exits 2), no speed target judged",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.units, args.recipients, args.runs, args.compile_rounds = 5, 500, 1, 1
    if args.units < 1 or args.recipients < 1 or args.runs < 1 or args.compile_rounds < 1:
        parser.error("--units, --recipients, --runs and --compile-rounds must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="distmark-bench-") as directory:
        setup_django(Path(directory))
        return run(args)


def run(args: argparse.Namespace) -> int:
    from importlib.metadata import version

    import wagtail
    from django import get_version

    rng = random.Random(SEED)
    started = time.perf_counter()
    units = create_network(args.units)
    images = create_images()
    products = create_products(images, units)
    stream = build_stream(images, products)
    recipients = make_recipients(args.recipients, rng)
    links = make_links(args.recipients, rng)
    log(
        f"{len(units)} stores, {len(images)} images, {len(stream)} blocks, "
        f"{len(recipients)} recipients; built in {time.perf_counter() - started:.1f} s"
    )
    load_before = os.getloadavg()[0]

    compiled, figures = measure_compile(stream, units, args.compile_rounds)
    problems = [
        f"unit {unit.code}: {count} SQL queries in a compile, expected {COMPILE_QUERIES}"
        for unit, count in zip(units, figures.queries, strict=True)
        if count != COMPILE_QUERIES
    ]
    problems += check_compiled(stream, units, compiled, links[0])
    checked, sample_problems = check_sample(compiled, recipients, links)
    problems += sample_problems
    rates, cpu_rates = measure_personalise(compiled, recipients, links, args.runs)
    load_after = os.getloadavg()[0]

    print(
        f"\nE-mail rendering: a {len(stream)}-block campaign "
        f"({', '.join(child.block_type for child in stream)}),"
        f"\n{len(units)} stores, {len(recipients)} recipients; Python {sys.version.split()[0]}, "
        f"Django {get_version()}, Wagtail {wagtail.__version__}, "
        f"mjml-python {version('mjml-python')}"
        + ("; quick mode: tiny sizes, checks only, no speed judged" if args.quick else "")
    )
    print_compile(figures, len(units))
    rate = statistics.median(rates)
    print(f"\n2. personalise() on one core, {len(recipients)} recipients over {len(units)} units:")
    print(
        f"   {rate:,.0f} e-mails/s, {1e6 / rate:.1f} µs per e-mail "
        f"(median of {len(rates)} runs: {', '.join(f'{r:,.0f}' for r in rates)})"
    )
    cpu_rate = statistics.median(cpu_rates)
    print(f"   by CPU time: {cpu_rate:,.0f} e-mails/s, {1e6 / cpu_rate:.1f} µs per e-mail")

    print("\n3. Checks:")
    if problems:
        print(f"   FAILED ({len(problems)} problems):")
        for problem in problems[:20]:
            print(f"     {problem}")
    else:
        print(
            f"   passed: each unit's e-mail (language, prices as the catalogue computes them, "
            f"no empty label, the same compiled afresh), {COMPILE_QUERIES} SQL query per "
            f"compile for every unit, and a sample of {checked} personalised e-mails (names "
            "escaped in the HTML, as typed in the text; no merge tag left)"
        )

    compile_ok = figures.median_ms <= COMPILE_TARGET_MS
    personalise_ok = rate >= PERSONALISE_TARGET_PER_S
    if args.quick:
        print("\n4. Targets: not judged in quick mode (tiny sizes, a shared CI machine).")
    else:
        print_targets(figures, compile_ok, rate, personalise_ok)
    print(
        f"\nMachine load average (1 min) {load_before:.1f} / {load_after:.1f} on "
        f"{os.cpu_count()} CPUs (before / after the measures)."
    )

    if args.profile or not (args.quick or compile_ok):
        contexts = unit_contexts(units)

        def compile_all():
            for context in contexts:
                compile_for(stream, context)

        profile(f"compile_email() for {len(units)} units", compile_all)
    if args.profile or not (args.quick or personalise_ok):

        def personalise_all():
            for i, recipient in enumerate(recipients):
                compiled[i % len(compiled)].personalise(recipient, links=links[i])

        profile(f"personalise() for {len(recipients)} recipients", personalise_all)

    if problems:
        return 2
    return 0 if args.quick or (compile_ok and personalise_ok) else 1


def print_compile(figures: CompileFigures, units: int) -> None:
    samples, fresh = figures.samples_ms, figures.fresh_ms
    print(f"\n1. compile_email() per (campaign, unit), {len(samples)} compiles:")
    print(
        f"   as a send compiles: median {statistics.median(samples):.2f} ms, "
        f"p95 {percentile(samples, 0.95):.2f} ms, mean {statistics.mean(samples):.2f} ms "
        f"(min {min(samples):.2f}, max {max(samples):.2f}); {figures.documents} distinct "
        f"MJML documents for {units} units, each compiled once and reused"
    )
    print(
        f"   every document compiled afresh: median {statistics.median(fresh):.2f} ms, "
        f"p95 {percentile(fresh, 0.95):.2f} ms, mean {statistics.mean(fresh):.2f} ms "
        f"(min {min(fresh):.2f}, max {max(fresh):.2f})"
    )
    as_sent_cpu, fresh_cpu = (statistics.median(values) for values in figures.cpu_ms)
    print(
        f"   by process CPU time (which leaves out waiting for a busy CPU): median "
        f"{as_sent_cpu:.2f} ms as a send compiles, {fresh_cpu:.2f} ms afresh"
    )
    print(
        f"   compiled HTML {statistics.median(figures.html_kb):.1f} KB "
        f"({min(figures.html_kb):.1f}–{max(figures.html_kb):.1f}) from "
        f"{statistics.median(figures.mjml_kb):.1f} KB of MJML"
    )
    counts = sorted(set(figures.queries))
    print(
        f"   {', '.join(map(str, counts))} SQL queries per compile once warm (renditions from "
        f"the cache); the very first compile, which generates the renditions, took "
        f"{figures.cold_ms:.0f} ms"
    )
    steps = figures.steps_ms
    total = sum(ms for name, ms in steps.items() if not name.startswith(" "))
    print(
        "   breakdown (each step re-done by hand after each timed compile, the MJML afresh; "
        f"medians, which add up to {total:.2f} ms):"
    )
    for name, ms in steps.items():
        print(f"     {name:<40} {ms:6.3f} ms  {ms / total:4.0%}")


def print_targets(
    figures: CompileFigures, compile_ok: bool, rate: float, personalise_ok: bool
) -> None:
    fresh_ok = figures.fresh_median_ms <= COMPILE_TARGET_MS
    print("\n4. Targets:")
    print(
        f"   {'PASS' if compile_ok else 'MISS'}  compile ≤ {COMPILE_TARGET_MS:g} ms per "
        f"(campaign, unit), as a send compiles: median {figures.median_ms:.2f} ms "
        f"(p95 {percentile(figures.samples_ms, 0.95):.2f} ms)"
    )
    print(
        f"   {'info' if fresh_ok else 'over'}  every document compiled afresh: median "
        f"{figures.fresh_median_ms:.2f} ms (p95 {percentile(figures.fresh_ms, 0.95):.2f} ms)"
    )
    print(
        f"   {'PASS' if personalise_ok else 'MISS'}  ≥ {PERSONALISE_TARGET_PER_S:,} "
        f"personalised e-mails/s: {rate:,.0f}/s"
    )


if __name__ == "__main__":
    sys.exit(main())
