"""The contact model's promises: scope, field visibility, consent that never re-subscribes."""

import pytest
from django.core.exceptions import ValidationError

from tests.contacts.conftest import make_contact
from wagtail_distmark.contacts.audiences import recipients
from wagtail_distmark.contacts.consent import (
    SUBSCRIBED,
    ConsentRefused,
    current_status,
    set_consent,
    unsubscribe_everywhere,
)
from wagtail_distmark.contacts.erasure import erase_contact
from wagtail_distmark.contacts.links import HomeUnitTaken, link
from wagtail_distmark.contacts.models import Source
from wagtail_distmark.contacts.normalise import normalise_email, normalise_phone
from wagtail_distmark.models import Audience, ConsentEvent, Contact, ContactFieldPolicy
from wagtail_distmark.rules.contacts import visible_fields

pytestmark = pytest.mark.django_db


def emails(queryset):
    return sorted(queryset.values_list("email", flat=True))


def test_each_user_sees_the_contacts_of_their_scope_only(contact_world):
    users = contact_world.net.users
    assert emails(Contact.objects.for_user(users["manager_a"])) == [
        "alex@example.org", "ann@example.org"]  # fmt: skip
    assert len(emails(Contact.objects.for_user(users["regional_north"]))) == 4
    assert "chloe@example.org" not in emails(Contact.objects.for_user(users["regional_north"]))
    assert len(emails(Contact.objects.for_user(users["hq"]))) == 6
    assert emails(Contact.objects.for_user(users["outsider"])) == []


def test_lists_mode_rolls_up_without_duplicates(contact_world, settings):
    settings.WAGTAIL_DISTMARK_CONTACT_UNITS = "lists"
    ann = contact_world.people["a1"]
    link(ann, contact_world.net.units["b"], Source.IMPORT)
    regional = contact_world.net.users["regional_north"]
    assert emails(Contact.objects.for_user(regional)).count("ann@example.org") == 1
    assert Contact.objects.for_user(regional).count() == 4


def test_home_mode_keeps_one_unit_per_contact(contact_world):
    with pytest.raises(HomeUnitTaken):
        link(contact_world.people["a1"], contact_world.net.units["b"], Source.IMPORT)
    assert contact_world.people["a1"].links.count() == 1


def test_editors_see_names_and_email_only_by_default(contact_world):
    editor, manager = contact_world.net.users["editor_a"], contact_world.net.users["manager_a"]
    assert visible_fields(editor) == {"email", "first_name", "last_name"}
    assert {"phone", "birth_date"} <= visible_fields(manager)


def test_hq_declares_what_a_role_sees(contact_world):
    ContactFieldPolicy.objects.create(role="unit_editor", fields=["email", "city"])
    editor = contact_world.net.fresh("editor_a")
    assert visible_fields(editor) == {"email", "city"}


def test_nobody_is_resubscribed_without_explicit_reconsent(contact_world):
    alex, newsletter = contact_world.people["a2"], contact_world.newsletter
    with pytest.raises(ConsentRefused):
        set_consent(alex, newsletter, SUBSCRIBED, source=Source.IMPORT)
    assert current_status(alex, newsletter) == "unsubscribed"
    with pytest.raises(ConsentRefused):
        set_consent(alex, newsletter, SUBSCRIBED, source=Source.ADMIN, reconsent=True)
    set_consent(alex, newsletter, SUBSCRIBED, source=Source.ADMIN, reconsent=True,
                evidence="Signed the in-store form on 2026-11-30")  # fmt: skip
    assert current_status(alex, newsletter) == "subscribed"
    assert ConsentEvent.objects.filter(contact=alex).first().source == Source.RECONSENT


def test_consent_history_is_append_only(contact_world):
    event = ConsentEvent.objects.filter(contact=contact_world.people["a1"]).first()
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        ConsentEvent.objects.all().delete()


def test_suppression_survives_erasure_and_blocks_resubscription(contact_world):
    ann, newsletter = contact_world.people["a1"], contact_world.newsletter
    unsubscribe_everywhere(ann, source=Source.UNSUBSCRIBE)
    erase_contact(ann, contact_world.net.users["hq"])
    again = make_contact(contact_world.net.units["a"], "ann@EXAMPLE.org", "Ann", "Archer")
    for reconsent in (False, True):  # not even an explicit re-consent: HQ lifts a suppression
        with pytest.raises(ConsentRefused):
            set_consent(again, newsletter, SUBSCRIBED, source=Source.ADMIN,
                        reconsent=reconsent, evidence="Asked again at the till")  # fmt: skip


def test_consent_history_outlives_nothing_it_belongs_to(contact_world):
    """The history is a legal record: neither its contact nor its communication type can be
    deleted while it exists (contacts are erased; types stay)."""
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        contact_world.people["a1"].delete()
    with pytest.raises(ProtectedError):
        contact_world.newsletter.delete()
    assert ConsentEvent.objects.filter(contact=contact_world.people["a1"]).exists()


def test_audience_counts_consenting_contacts_of_its_subtree(contact_world):
    net = contact_world.net
    north = Audience.objects.create(name="North", unit=net.units["north"],
                                    communication_type=contact_world.newsletter)  # fmt: skip
    # a2 unsubscribed; C is in the other region.
    assert emails(recipients(north)) == ["ann@example.org", "bea@example.org", "bob@example.org"]
    vip = Audience.objects.create(name="VIP", unit=net.units["a"], base=north,
                                  communication_type=contact_world.newsletter)  # fmt: skip
    vip.tags.add(contact_world.vip)
    assert emails(recipients(vip)) == ["ann@example.org"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Ann@EXAMPLE.org ", "Ann@example.org"), ("jo@bücher.de", "jo@xn--bcher-kva.de")],
)
def test_email_domains_are_lowercased_and_idna(raw, expected):
    assert normalise_email(raw) == expected


def test_bad_email_and_phone_are_refused():
    with pytest.raises(ValidationError):
        normalise_email("not-an-address")
    with pytest.raises(ValidationError):
        normalise_email("a" * 300 + "@example.org")
    assert normalise_phone("06 12 34 56 78", "FR") == "+33612345678"
    with pytest.raises(ValidationError):
        normalise_phone("12", "FR")


def test_template_segments_are_seen_by_the_units_the_template_is_available_to(
    contact_world, brand_template
):
    net = contact_world.net
    brand_template.available_to_all = False
    brand_template.save()
    brand_template.available_units.set([net.units["north"]])
    segment = Audience.objects.create(name="Autumn segment", unit=net.units["hq"],
                                      communication_type=contact_world.newsletter,
                                      template=brand_template)  # fmt: skip
    assert segment in Audience.objects.for_user(net.fresh("manager_a"))
    assert segment not in Audience.objects.for_user(net.fresh("manager_c"))


def test_contact_files_go_to_the_private_root_of_the_moment(contact_world, settings, tmp_path):
    """Django evaluates a field's storage when the models load; the folder is still read
    from the settings on each use, and the files have no URL."""
    from django.core.files.base import ContentFile

    from wagtail_distmark.models import ImportJob

    settings.WAGTAIL_DISTMARK_PRIVATE_ROOT = str(tmp_path / "elsewhere")
    job = ImportJob(unit=contact_world.net.units["a"], original_name="x.csv")
    job.file.save("x.csv", ContentFile(b"email\n"), save=False)
    assert (tmp_path / "elsewhere" / job.file.name).read_bytes() == b"email\n"
    with pytest.raises(ValueError):
        job.file.url  # noqa: B018


def test_a_manager_who_is_also_an_editor_sees_an_editors_fields(contact_world):
    """One set of fields per user, never more than any of their roles allows (a manager of
    Store C who edits at Store A must not read Store A's phones)."""
    from wagtail_distmark.models import Membership

    net = contact_world.net
    Membership.objects.create(user=net.users["manager_c"], unit=net.units["a"],
                              role=Membership.Role.UNIT_EDITOR)  # fmt: skip
    assert visible_fields(net.fresh("manager_c")) == {"email", "first_name", "last_name"}
    assert "phone" in visible_fields(net.fresh("manager_a"))
