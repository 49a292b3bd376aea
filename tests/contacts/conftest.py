"""Contacts on the small network: two per store, a newsletter everyone at A and C consented to.

``people["a1"]`` is Ann at Store A, ``people["c1"]`` Chloé at Store C (the other region), and so
on; Store B's contacts are ``b1``/``b2``. ``a2`` unsubscribed from the newsletter.
"""

from dataclasses import dataclass

import pytest

from wagtail_distmark.contacts.consent import SUBSCRIBED, UNSUBSCRIBED, set_consent
from wagtail_distmark.contacts.links import link
from wagtail_distmark.contacts.models import Source
from wagtail_distmark.models import CommunicationType, Contact, Tag

PEOPLE = {
    "a1": ("a", "ann@example.org", "Ann", "Archer", "+33612345678", "75001", "Paris"),
    "a2": ("a", "alex@example.org", "Alex", "Abel", "+33612345679", "75002", "Paris"),
    "b1": ("b", "bea@example.org", "Bea", "Brun", "+33612345680", "59000", "Lille"),
    "b2": ("b", "bob@example.org", "Bob", "Blanc", "+33612345681", "59000", "Lille"),
    "c1": ("c", "chloe@example.org", "Chloé", "Cruz", "+33612345682", "13001", "Marseille"),
    "c2": ("c", "carl@example.org", "Carl", "Colin", "+33612345683", "13002", "Marseille"),
}


@dataclass
class ContactWorld:
    net: object
    people: dict
    newsletter: CommunicationType
    vip: Tag


def make_contact(unit, email, first, last, phone="", postal="", city="", **extra) -> Contact:
    contact = Contact.objects.create(email=email, first_name=first, last_name=last, phone=phone,
                                     postal_code=postal, city=city, **extra)  # fmt: skip
    link(contact, unit, Source.ADMIN)
    return contact


@pytest.fixture
def contact_world(net):
    newsletter = CommunicationType.objects.create(name="Newsletter", slug="newsletter")
    vip = Tag.objects.create(name="VIP")
    people = {}
    for key, (unit_key, email, first, last, phone, postal, city) in PEOPLE.items():
        people[key] = make_contact(net.units[unit_key], email, first, last, phone, postal, city)
        set_consent(people[key], newsletter, SUBSCRIBED, source=Source.ADMIN, evidence="test")
    set_consent(people["a2"], newsletter, UNSUBSCRIBED, source=Source.ADMIN)
    people["a1"].tags.add(vip)
    return ContactWorld(net=net, people=people, newsletter=newsletter, vip=vip)
