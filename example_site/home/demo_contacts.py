"""The demo's customer base: 5,000 contacts over the Maison Lumière stores.

Each store's customers have names in the store's language (Faker, seeded, so every run draws
the same people), phones in the fictional ranges each country keeps for films and examples,
postal codes and cities around the store, tags, a loyalty-points attribute, and consents:
most are subscribed to the brand's newsletter, some to their store's events, a few
unsubscribed, a few addresses suppressed after a hard bounce.

The rows are written with ``bulk_create`` (5,000 contacts through the services would take
minutes): the same rows ``links.link`` and ``consent.set_consent`` write — one ``ContactUnit``
per contact (its home store), a ``Consent`` with its ``ConsentEvent`` history (source *demo*,
evidence "Demo data"), and ``email_hash`` set by hand since ``bulk_create`` skips ``save()``.
Safe to run again: contacts are keyed on their address, and a complete demo is left as it is.
"""

from __future__ import annotations

import functools
import random
import unicodedata
import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from wagtail_distmark.contacts.consent import SUBSCRIBED, UNSUBSCRIBED, suppress
from wagtail_distmark.contacts.models import Source
from wagtail_distmark.contacts.normalise import email_hash, normalise_email, normalise_phone
from wagtail_distmark.models import (
    Audience,
    CommunicationType,
    Consent,
    ConsentEvent,
    Contact,
    ContactAttribute,
    ContactTag,
    ContactUnit,
    OrgUnit,
    Suppression,
    Tag,
)

try:
    from faker import Faker
except ImportError:  # factory-boy (the `testing` extra) brings Faker; a bare install may not
    Faker = None

TOTAL = 5000
SEED = 2026
EVIDENCE = "Demo data"
DOMAINS = ("example.com", "example.org", "example.net")  # reserved: never real mailboxes

#: (name, slug, scope, description)
NEWSLETTER = ("Newsletter", "newsletter", CommunicationType.Scope.BRAND,
              "News of the brand, new collections and seasonal offers.")  # fmt: skip
STORE_EVENTS = ("Store events", "store-events", CommunicationType.Scope.UNIT,
                "Workshops, openings and late evenings at the person's store.")  # fmt: skip
#: (tag, share of contacts carrying it)
TAGS = [("VIP", 0.05), ("Loyalty card", 0.35), ("Candle workshop", 0.10), ("Gift buyer", 0.15)]
LOYALTY_POINTS = ("loyalty_points", "Loyalty points", ContactAttribute.Kind.NUMBER)

NEWSLETTER_RATE = 0.85  # subscribed to the newsletter
UNSUBSCRIBE_RATE = 0.04  # of those, unsubscribed since
EVENTS_RATE = 0.35  # subscribed to their store's events
BOUNCE_RATE = 0.01  # address suppressed after a hard bounce
PHONE_RATE = 0.7
BIRTH_DATE_RATE = 0.8

#: A store's share of the 5,000 (default 1): the flagship stores have more customers.
STORE_WEIGHTS = {"ML-001": 2.0, "ML-101": 1.5, "ML-201": 1.5}

#: People the sample CSV (``sample-contacts.csv``) meets again, first of their store's list:
#: Lyon's Margaux unsubscribed from the newsletter (the import keeps her unsubscribed),
#: London's James is another store's contact (an error row for Lyon's manager).
WELL_KNOWN = {
    "ML-001": ("Margaux", "Fontaine", "margaux.fontaine@example.org", UNSUBSCRIBED),
    "ML-201": ("James", "Whitfield", "james.whitfield@example.com", SUBSCRIBED),
}

FAKER_LOCALES = {"fr": "fr_FR", "fr-CA": "fr_CA", "en-CA": "en_CA", "en-GB": "en_GB",
                 "en-IE": "en_IE"}  # fmt: skip

#: Without Faker: a few names per language, so the demo still loads.
FALLBACK_NAMES = {
    "fr": (
        ["Camille", "Léa", "Manon", "Chloé", "Inès", "Louise", "Hugo", "Lucas", "Théo",
         "Nathan", "Louis", "Étienne"],
        ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
         "Leroy", "Moreau", "Lefèvre", "Girard"],
    ),
    "en": (
        ["Olivia", "Amelia", "Isla", "Ava", "Grace", "Emily", "Oliver", "George", "Harry",
         "Noah", "Jack", "Liam"],
        ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
         "Murphy", "Walsh", "Campbell", "Roy"],
    ),
}  # fmt: skip

#: Phones: a prefix and how many random digits follow, in ranges set aside for fiction
#: (ARCEP's 0x xx xx numbers for films in France, Ofcom's drama numbers in the UK, 555-01xx
#: in North America; Dublin's 01 555 like the demo store's own number). All are valid to
#: phonenumbers, so they pass the contacts' own normalisation.
PHONE_RANGES = {
    "ML-001": ["+3346571"], "ML-004": ["+3346571"], "ML-002": ["+3353649"],
    "ML-003": ["+3335301"], "ML-005": ["+3326191"],
    "ML-101": ["+1514555 01", "+1438555 01"], "ML-102": ["+1418555 01", "+1581555 01"],
    "ML-103": ["+1416555 01", "+1647555 01", "+1437555 01"],
    "ML-104": ["+1604555 01", "+1778555 01"], "ML-105": ["+1902555 01", "+1782555 01"],
    "ML-201": ["+4420 7946 0"], "ML-202": ["+44131 496 0"], "ML-203": ["+44161 496 0"],
    "ML-204": ["+3531 555 "],
}  # fmt: skip
PHONE_LENGTH = {"FR": 12, "CA": 12, "GB": 13, "IE": 12}  # characters of the E.164 form

#: Postal codes and cities around each store; in a code, ``#`` is a digit, ``@`` a letter.
AREAS = {
    "ML-001": ["69001 Lyon", "69002 Lyon", "69003 Lyon", "69004 Lyon", "69006 Lyon",
               "69007 Lyon", "69100 Villeurbanne", "69300 Caluire-et-Cuire"],
    "ML-002": ["33000 Bordeaux", "33100 Bordeaux", "33200 Bordeaux", "33300 Bordeaux",
               "33400 Talence", "33700 Mérignac"],
    "ML-003": ["59000 Lille", "59800 Lille", "59160 Lomme", "59700 Marcq-en-Barœul",
               "59100 Roubaix"],
    "ML-004": ["13001 Marseille", "13002 Marseille", "13006 Marseille", "13007 Marseille",
               "13008 Marseille", "13100 Aix-en-Provence"],
    "ML-005": ["44000 Nantes", "44100 Nantes", "44300 Nantes", "44400 Rezé",
               "44800 Saint-Herblain"],
    "ML-101": ["H2W #@# Montréal", "H2T #@# Montréal", "H2J #@# Montréal",
               "H2X #@# Montréal", "H7N #@# Laval"],
    "ML-102": ["G1R #@# Québec", "G1K #@# Québec", "G1S #@# Québec", "G6V #@# Lévis"],
    "ML-103": ["M6J #@# Toronto", "M5V #@# Toronto", "M6K #@# Toronto", "M4M #@# Toronto",
               "L5B #@# Mississauga"],
    "ML-104": ["V6B #@# Vancouver", "V6A #@# Vancouver", "V5L #@# Vancouver",
               "V5H #@# Burnaby"],
    "ML-105": ["B3J #@# Halifax", "B3H #@# Halifax", "B3K #@# Halifax", "B2Y #@# Dartmouth"],
    "ML-201": ["W1U #@@ London", "W1G #@@ London", "NW1 #@@ London", "NW8 #@@ London"],
    "ML-202": ["EH4 #@@ Edinburgh", "EH3 #@@ Edinburgh", "EH1 #@@ Edinburgh",
               "EH7 #@@ Edinburgh", "EH21 #@@ Musselburgh"],
    "ML-203": ["M1 #@@ Manchester", "M4 #@@ Manchester", "M15 #@@ Manchester",
               "M20 #@@ Manchester", "SK4 #@@ Stockport"],
    "ML-204": ["D02 @### Dublin", "D04 @### Dublin", "D06 @### Dublin", "D08 @### Dublin",
               "A94 @### Blackrock"],
}  # fmt: skip
#: The letters each country's postal codes use.
POSTAL_LETTERS = {"CA": "ABCEGHJKLMNPRSTVWXYZ", "GB": "ABDEFGHJLNPQRSTUWXYZ",
                  "IE": "ACDEFHKNPRTVWXY"}  # fmt: skip


@dataclass
class Setup:
    """What the contacts refer to: HQ's communication types, tags and attribute."""

    newsletter: CommunicationType
    events: CommunicationType
    tags: dict[str, Tag]


@dataclass
class Person:
    """One contact to create and what to record about them."""

    contact: Contact
    unit: OrgUnit
    tags: list[str] = field(default_factory=list)
    newsletter: str | None = None  # SUBSCRIBED, UNSUBSCRIBED or None (never asked)
    events: bool = False
    bounced: bool = False


def load(total: int = TOTAL) -> dict:
    """Create the demo people missing among the first ``total`` and return the demo's
    figures (see :func:`summary`). Each store draws its people from its own seeded stream,
    so a larger ``total`` adds people and a smaller one removes nobody."""
    setup = ensure_setup()
    stores = list(OrgUnit.objects.filter(kind="unit").order_by("code"))
    if ContactUnit.objects.filter(source=Source.DEMO).count() < total:
        known = existing_addresses()
        people = generate(stores, total, Addresses(known))
        insert([p for p in people if p.contact.email not in known], setup)
    audience = ensure_audience(stores[0], setup.newsletter)
    return {**summary(setup), "audience": audience.name}


def ensure_setup() -> Setup:
    """HQ's set-up the demo contacts use (created once, kept as HQ edits it)."""
    types = [
        CommunicationType.objects.get_or_create(
            slug=slug, defaults={"name": name, "scope": scope, "description": text}
        )[0]
        for name, slug, scope, text in (NEWSLETTER, STORE_EVENTS)
    ]
    tags = {name: ensure_tag(name) for name, _share in TAGS}
    key, label, kind = LOYALTY_POINTS
    ContactAttribute.objects.get_or_create(key=key, defaults={"label": label, "kind": kind})
    return Setup(newsletter=types[0], events=types[1], tags=tags)


def ensure_tag(name: str) -> Tag:
    """Tag names are unique whatever their case: find one however HQ spelled it."""
    return Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)


def ensure_audience(store: OrgUnit, newsletter: CommunicationType) -> Audience:
    manager = get_user_model().objects.filter(username="manager").first()
    audience, _created = Audience.objects.get_or_create(
        name=f"Newsletter — {store.name}",
        unit=store,
        defaults={"communication_type": newsletter, "created_by": manager},
    )
    return audience


def existing_addresses() -> dict[str, str]:
    """The addresses already in the base (the demo's, or imported), with a unit of each."""
    rows = Contact.objects.exclude(email=None).values_list("email", "links__unit__code")
    return dict(rows.iterator())


@dataclass
class Addresses:
    """Who holds which address: this run's people, and the base's (by unit code). A person
    drawn again for the store that already holds their address is the same person, so a
    larger demo adds people without renaming the earlier ones."""

    known: dict[str, str] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)

    def free(self, address: str, code: str) -> bool:
        return address not in self.seen and self.known.get(address, code) == code


# --- Drawing the people: deterministic, one random stream per store ------------------------


def generate(stores: list[OrgUnit], total: int = TOTAL, addresses=None) -> list[Person]:
    """The demo people, the same ones on every run (for a given Faker version)."""
    addresses = addresses or Addresses()
    addresses.seen |= {email for _first, _last, email, _status in WELL_KNOWN.values()}
    people = []
    for store, count in zip(stores, shares(stores, total), strict=True):
        people += people_for(store, count, addresses)
    return people


def shares(stores: list[OrgUnit], total: int) -> list[int]:
    """Split ``total`` over the stores by :data:`STORE_WEIGHTS` (largest remainders)."""
    weights = [STORE_WEIGHTS.get(store.code, 1.0) for store in stores]
    exact = [total * weight / sum(weights) for weight in weights]
    counts = [int(value) for value in exact]
    by_remainder = sorted(range(len(stores)), key=lambda i: counts[i] - exact[i])
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def people_for(store: OrgUnit, count: int, addresses: Addresses) -> list[Person]:
    rng = random.Random(f"{SEED}-{store.code}")
    names = name_source(store.locale, zlib.crc32(store.code.encode()) ^ SEED)
    people = [person(store, rng, names, addresses) for _ in range(count)]
    if people and store.code in WELL_KNOWN:
        make_well_known(people[0], *WELL_KNOWN[store.code])
    return people


def make_well_known(person: Person, first: str, last: str, email: str, status: str) -> None:
    contact = person.contact
    contact.first_name, contact.last_name, contact.email = first, last, email
    contact.email_hash = email_hash(email)
    person.newsletter, person.bounced = status, False


def name_source(locale: str, seed: int):
    """A callable ``rng -> (first, last)`` in the language of ``locale``."""
    if Faker is not None:
        fake = Faker(FAKER_LOCALES.get(locale, "en_GB"))
        fake.seed_instance(seed)
        return lambda rng: (fake.first_name(), fake.last_name())
    firsts, lasts = FALLBACK_NAMES.get(locale[:2], FALLBACK_NAMES["en"])
    return lambda rng: (rng.choice(firsts), rng.choice(lasts))


def person(store: OrgUnit, rng: random.Random, names, addresses: Addresses) -> Person:
    first, last = names(rng)
    created = timezone.now() - timedelta(days=rng.randint(1, 1095), seconds=rng.randint(0, 86399))
    postal, city = area(store, rng)
    contact = Contact(
        email=unique_email(first, last, rng, addresses, store.code),
        first_name=first,
        last_name=last,
        locale=store.locale,
        phone=phone(store, rng) if rng.random() < PHONE_RATE else "",
        birth_date=birth_date(rng) if rng.random() < BIRTH_DATE_RATE else None,
        postal_code=postal,
        city=city,
        country=store.country,
        created_at=created,
        last_activity_at=created + (timezone.now() - created) * rng.random(),
    )
    contact.email_hash = email_hash(contact.email)  # bulk_create skips Contact.save()
    return plan(Person(contact=contact, unit=store), rng)


def plan(person: Person, rng: random.Random) -> Person:
    """Tags, loyalty points and consents of one person."""
    person.tags = [name for name, share in TAGS if rng.random() < share]
    if "Loyalty card" in person.tags:
        person.contact.attributes = {LOYALTY_POINTS[0]: rng.randint(0, 2500)}
    if rng.random() < NEWSLETTER_RATE:
        unsubscribed = rng.random() < UNSUBSCRIBE_RATE
        person.newsletter = UNSUBSCRIBED if unsubscribed else SUBSCRIBED
    person.events = rng.random() < EVENTS_RATE
    person.bounced = rng.random() < BOUNCE_RATE
    return person


def ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    return "".join(c for c in folded if c.isalnum() or c == "-").strip("-")


def unique_email(first: str, last: str, rng: random.Random, addresses: Addresses,
                 code: str) -> str:  # fmt: skip
    """An address as people have them (``ann.lee``, ``annlee``, ``alee``, ``ann.lee82``) on a
    reserved domain; a number is appended when the address is taken."""
    given, family = ascii_slug(first) or "client", ascii_slug(last) or "lumiere"
    local = rng.choice((f"{given}.{family}", f"{given}{family}", f"{given[0]}{family}",
                        f"{given}.{family}{rng.randint(60, 99)}"))  # fmt: skip
    domain = rng.choice(DOMAINS)
    address, n = f"{local}@{domain}", 1
    while not addresses.free(address, code):
        n += 1
        address = f"{local}{n}@{domain}"
    addresses.seen.add(address)
    return normalise_email(address)


def phone(store: OrgUnit, rng: random.Random) -> str:
    prefix = rng.choice(PHONE_RANGES[store.code]).replace(" ", "")
    length = PHONE_LENGTH[store.country]
    check_range(prefix, length, store.country)
    return prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix)))


@functools.cache
def check_range(prefix: str, length: int, country: str) -> None:
    """Both ends of a range pass the contacts' own normalisation (what an import or the
    admin would store), so every number between them does: checked once per range."""
    for digit in "09":
        number = prefix.ljust(length, digit)
        if normalise_phone(number, country) != number:
            raise ValueError(f"{number} is not an E.164 number of {country}")


def birth_date(rng: random.Random) -> date:
    return date(1946, 1, 1) + timedelta(days=rng.randint(0, 60 * 365))


def area(store: OrgUnit, rng: random.Random) -> tuple[str, str]:
    """A postal code and city near the store (its own, if the store has no list)."""
    choices = AREAS.get(store.code)
    if not choices:
        return store.postal_code, store.city
    pattern, _space, city = rng.choice(choices).partition(" ")
    if "#" in city or "@" in city:  # two-part codes: "H2W #@# Montréal"
        inward, _space, city = city.partition(" ")
        pattern = f"{pattern} {inward}"
    letters = POSTAL_LETTERS.get(store.country, "ABCDEFGHJKLMNPRSTUVWXYZ")
    code = "".join(
        rng.choice("0123456789") if c == "#" else rng.choice(letters) if c == "@" else c
        for c in pattern
    )
    return code, city


# --- Writing the rows ---------------------------------------------------------------------


def insert(people: list[Person], setup: Setup) -> None:
    """The rows the services would write, in a few bulk inserts."""
    Contact.objects.bulk_create([p.contact for p in people], batch_size=500)
    with_ids(people)
    ContactUnit.objects.bulk_create(
        [ContactUnit(contact=p.contact, unit=p.unit, source=Source.DEMO,
                     since=p.contact.created_at) for p in people],
        batch_size=1000,
    )  # fmt: skip
    ContactTag.objects.bulk_create(
        [ContactTag(contact=p.contact, tag=setup.tags[name]) for p in people for name in p.tags],
        batch_size=1000,
    )
    consents, events = consent_rows(people, setup)
    Consent.objects.bulk_create(consents, batch_size=1000)
    ConsentEvent.objects.bulk_create(events, batch_size=1000)
    for p in people:
        if p.bounced:
            suppress(p.contact.email, Suppression.Reason.HARD_BOUNCE, note=EVIDENCE)


def with_ids(people: list[Person]) -> None:
    """Primary keys of the new contacts (set by bulk_create where the database returns
    them — PostgreSQL, SQLite 3.35+ — else read back by address)."""
    if all(p.contact.pk for p in people):
        return
    ids = dict(
        Contact.objects.filter(email__in=[p.contact.email for p in people]).values_list(
            "email", "pk"
        )
    )
    for p in people:
        p.contact.pk = ids[p.contact.email]


def consent_rows(people: list[Person], setup: Setup):
    """Current consents and their history, as ``set_consent`` records them: a subscription
    when the contact was created; for some, an unsubscription since (by the link)."""
    consents, events = [], []
    for p in people:
        created = p.contact.created_at
        if p.newsletter:
            consents.append(consent_row(p, setup.newsletter, None, p.newsletter))
            events.append(event_row(p, setup.newsletter, None, SUBSCRIBED, created))
        if p.newsletter == UNSUBSCRIBED:
            later = created + (p.contact.last_activity_at - created) / 2
            events.append(event_row(p, setup.newsletter, None, UNSUBSCRIBED, later))
        if p.events:
            consents.append(consent_row(p, setup.events, p.unit, SUBSCRIBED))
            events.append(event_row(p, setup.events, p.unit, SUBSCRIBED, created))
    return consents, events


def consent_row(p: Person, kind: CommunicationType, unit, status: str) -> Consent:
    return Consent(contact=p.contact, communication_type=kind, unit=unit, status=status,
                   updated_at=p.contact.last_activity_at)  # fmt: skip


def event_row(p: Person, kind: CommunicationType, unit, status: str, when) -> ConsentEvent:
    source = Source.UNSUBSCRIBE if status == UNSUBSCRIBED else Source.DEMO
    return ConsentEvent(contact=p.contact, communication_type=kind, unit=unit, status=status,
                        source=source, evidence=EVIDENCE, created_at=when)  # fmt: skip


def summary(setup: Setup) -> dict:
    """The demo's figures, for the loader's report."""
    demo = Contact.objects.filter(links__source=Source.DEMO)
    newsletter = Consent.objects.filter(contact__in=demo, communication_type=setup.newsletter)
    hashes = demo.values("email_hash")
    return {
        "contacts": demo.count(),
        "stores": ContactUnit.objects.filter(source=Source.DEMO).values("unit").distinct().count(),
        "subscribed": newsletter.filter(status=SUBSCRIBED).count(),
        "unsubscribed": newsletter.filter(status=UNSUBSCRIBED).count(),
        "suppressed": Suppression.objects.filter(email_hash__in=hashes).count(),
    }


def describe(figures: dict) -> str:
    return (
        "Contacts: {contacts} over {stores} stores ({subscribed} subscribed to the newsletter, "
        "{unsubscribed} unsubscribed, {suppressed} addresses suppressed after a hard bounce); "
        "audience “{audience}”".format(**figures)
    )
