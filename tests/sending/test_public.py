"""The public side of a sent e-mail, driven through the links of the real message.

Store A's campaign is sent to Ann and Ava; each test reads the links out of the HTML each
received (``mail.outbox``) and follows them with a fresh client: no login, no session.
"""

from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db import OperationalError
from django.db.models.fields.json import KeyTransform
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from wagtail_distmark.blocks import zone_data as zone
from wagtail_distmark.contacts.consent import (
    SUBSCRIBED,
    UNSUBSCRIBED,
    current_status,
    set_consent,
)
from wagtail_distmark.contacts.models import (
    Audience,
    CommunicationType,
    ConsentEvent,
    Source,
    Suppression,
)
from wagtail_distmark.sending import dispatch, engine, public, tokens, tracking
from wagtail_distmark.sending.models import Delivery, DeliveryEvent, Send

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example/autumn?e={{ contact.email }}&from=mail"
BRAND = "https://brand.example/candles?a=1&b=2"
BROWSER = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15"
)


@pytest.fixture
def brand_template(brand_template, settings):
    """The Autumn template greeting the recipient by name, with three buttons: a link
    carrying the recipient's address (to a domain allowed to receive it), a plain web link
    and a mailto link."""
    settings.WAGTAIL_DISTMARK_LINK_DOMAINS_FOR_CONTACT_DATA = ["shop.example"]
    body = brand_template.body.raw_data
    body[0]["value"]["content"]["text"] = "Hello {{ contact.first_name }}"
    for number, (label, url) in enumerate(
        [("Shop", SHOP), ("Candles", BRAND), ("Write to us", "mailto:hello@brand.example")]
    ):
        body.insert(2 + number, zone(f"button{number}", "button", {"label": label, "url": url}))
    brand_template.save()
    return brand_template


class Links(HTMLParser):
    """The ``href`` of every link and the ``src`` of every image of an HTML text."""

    def __init__(self, text):
        super().__init__()
        self.hrefs, self.images = [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag == "img":
            self.images.append(attrs.get("src", ""))


def html_of(message) -> str:
    return next(content for content, kind in message.alternatives if kind == "text/html")


def links_of(email: str) -> dict:
    """The public links of the e-mail received by ``email``, as paths for the test client."""
    message = next(m for m in mail.outbox if m.to == [email])
    found = Links(html_of(message))
    paths = [urlsplit(href).path for href in found.hrefs]
    return {
        "message": message,
        "hrefs": found.hrefs,
        "unsubscribe": next(p for p in paths if p.startswith("/mail/u/")),
        "header": urlsplit(message.extra_headers["List-Unsubscribe"].strip("<>")).path,
        "clicks": [p for p in paths if p.startswith("/mail/c/")],
        "pixel": next(urlsplit(src).path for src in found.images if "/mail/o/" in src),
        "view": f"/mail/v/{tokens.make(tokens.VIEW, delivery_of(email).pk)}/",
    }


def delivery_of(email: str) -> Delivery:
    return Delivery.objects.get(contact__email=email)


@pytest.fixture
def sent(sending):
    """Store A's campaign sent to Ann and Ava (both subscribed to the newsletter)."""
    sending.ava = sending.add_contact("a", "ava@example.org", "Ava")
    sending.ann = sending.people["a1"]
    send = dispatch.create_send(sending.campaign_a, sending.net.users["manager_a"])
    assert dispatch.start(send.pk)
    assert dispatch.drive(send.pk, seconds=10).done
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.org", "ava@example.org"]
    sending.send = Send.objects.get(pk=send.pk)
    # Sent a minute ago: a click now is a person's, not a scanner's.
    Delivery.objects.update(sent_at=timezone.now() - timedelta(minutes=1))
    return sending


def status(world, contact):
    return current_status(contact, world.newsletter, world.net.units["a"])


def fresh() -> Client:
    """A client without session or cookie (a mail client, a link scanner)."""
    return Client(enforce_csrf_checks=True, raise_request_exception=False)


# The links of the e-mail


def test_every_web_link_of_the_email_is_a_tracked_redirect(sent):
    links = links_of("ann@example.org")
    assert len(links["clicks"]) == 2  # the shop and the candles; not the mailto, nor unsubscribe
    assert "mailto:hello@brand.example" in links["hrefs"]
    assert not any("shop.example" in href or "brand.example/c" in href for href in links["hrefs"])
    assert links["unsubscribe"] == links["header"]
    assert "ann@example.org" not in " ".join(links["hrefs"])
    assert fresh().get(links["pixel"]).status_code == 200


# One-click unsubscribe


def test_one_click_post_without_a_session_unsubscribes_and_answers_200(sent):
    path = links_of("ann@example.org")["header"]
    assert status(sent, sent.ann) == SUBSCRIBED
    response = fresh().post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert "Location" not in response
    assert not response.cookies
    assert "You are unsubscribed" in response.content.decode()
    assert status(sent, sent.ann) == UNSUBSCRIBED
    event = ConsentEvent.objects.get(contact=sent.ann, status=UNSUBSCRIBED)
    assert event.source == Source.UNSUBSCRIBE
    assert event.evidence == "Unsubscribe link in an e-mail"  # names no unit's send
    assert DeliveryEvent.objects.filter(
        delivery=delivery_of("ann@example.org"), kind="unsubscribe"
    ).count() == 1  # fmt: skip
    assert status(sent, sent.ava) == SUBSCRIBED  # nobody else


def test_a_get_shows_a_confirmation_page_and_never_unsubscribes(sent):
    path = links_of("ann@example.org")["unsubscribe"]
    response = fresh().get(path)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Store A" in page and sent.newsletter.name in page
    assert 'method="post"' in page
    assert not response.cookies
    assert response["X-Robots-Tag"].startswith("noindex")
    assert fresh().head(path).status_code == 200
    assert status(sent, sent.ann) == SUBSCRIBED
    assert not ConsentEvent.objects.filter(contact=sent.ann, status=UNSUBSCRIBED).exists()
    assert not DeliveryEvent.objects.filter(kind="unsubscribe").exists()


def test_the_pages_button_unsubscribes_and_a_second_post_shows_the_same_page(sent):
    path = links_of("ann@example.org")["unsubscribe"]
    first = fresh().post(path)
    second = fresh().post(path)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert status(sent, sent.ann) == UNSUBSCRIBED
    assert ConsentEvent.objects.filter(contact=sent.ann, status=UNSUBSCRIBED).count() == 1
    assert DeliveryEvent.objects.filter(kind="unsubscribe").count() == 1


def test_unsubscribe_from_everything_also_suppresses_the_address(sent):
    path = links_of("ann@example.org")["unsubscribe"]
    response = fresh().post(path, {"scope": "everywhere"})
    assert response.status_code == 200
    assert "any e-mail" in response.content.decode()
    assert status(sent, sent.ann) == UNSUBSCRIBED
    assert Suppression.objects.filter(email_hash=sent.ann.email_hash).exists()
    assert not Suppression.objects.filter(email_hash=sent.ava.email_hash).exists()


def forged_tokens(ann: Delivery, ava: Delivery) -> dict:
    good = tokens.make(tokens.UNSUBSCRIBE, ann.pk)
    value, _sep, signature = good.partition(":")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    return {
        "changed signature": f"{value}:{flipped}",
        "another delivery with Ann's signature": f"{tokens.encode(ava.pk)}:{signature}",
        "another delivery, another purpose's salt": tokens.make(tokens.VIEW, ava.pk),
        "a click token": tokens.make(tokens.CLICK, ann.pk, 0),
        "an open token": tokens.make(tokens.OPEN, ann.pk),
        "unsigned": tokens.encode(ann.pk),
        "made with another key": tokens.signing.Signer(
            key="not-the-key", salt="wagtail_distmark.sending.u", algorithm="sha256"
        ).sign(tokens.encode(ann.pk)),
    }


def test_a_forged_token_is_a_404_page_and_changes_nothing(sent):
    forged = forged_tokens(delivery_of("ann@example.org"), delivery_of("ava@example.org"))
    for kind, token in forged.items():
        for method in ("get", "post"):
            response = getattr(fresh(), method)(f"/mail/u/{token}/")
            assert response.status_code == 404, kind
            assert "not valid" in response.content.decode()
    assert status(sent, sent.ann) == status(sent, sent.ava) == SUBSCRIBED
    assert not ConsentEvent.objects.filter(source=Source.UNSUBSCRIBE).exists()
    assert not DeliveryEvent.objects.exists()


def test_anns_link_unsubscribes_ann_only_and_avas_link_ava(sent):
    assert fresh().post(links_of("ann@example.org")["unsubscribe"]).status_code == 200
    assert (status(sent, sent.ann), status(sent, sent.ava)) == (UNSUBSCRIBED, SUBSCRIBED)
    assert fresh().post(links_of("ava@example.org")["unsubscribe"]).status_code == 200
    assert status(sent, sent.ava) == UNSUBSCRIBED


def test_a_per_unit_type_is_unsubscribed_at_the_sends_unit_only(sending):
    offers = CommunicationType.objects.create(
        name="Store offers", slug="store-offers", scope=CommunicationType.Scope.UNIT
    )
    ann, units = sending.people["a1"], sending.net.units
    for unit in (units["a"], units["b"]):
        set_consent(ann, offers, SUBSCRIBED, source=Source.ADMIN, unit=unit, evidence="t")
    Audience.objects.filter(pk=sending.audience_a.pk).update(communication_type=offers)
    send = dispatch.create_send(sending.campaign_a, sending.net.users["manager_a"])
    assert dispatch.start(send.pk) and dispatch.drive(send.pk, seconds=10).done
    page = fresh().get(links_of("ann@example.org")["unsubscribe"])
    assert "Store offers" in page.content.decode()
    assert fresh().post(links_of("ann@example.org")["unsubscribe"]).status_code == 200
    assert current_status(ann, offers, units["a"]) == UNSUBSCRIBED
    assert current_status(ann, offers, units["b"]) == SUBSCRIBED  # another store's consent
    assert current_status(ann, sending.newsletter) == SUBSCRIBED  # another type


def test_an_unsubscribe_wins_over_the_next_batch_of_a_running_send(sending, settings):
    settings.WAGTAIL_DISTMARK_SEND_BATCH_SIZE = 1
    ava = sending.add_contact("a", "ava@example.org", "Ava")
    send = dispatch.create_send(sending.campaign_a, sending.net.users["manager_a"])
    assert dispatch.start(send.pk)
    send.refresh_from_db()
    assert engine.send_batch(send, 1).sent == 1  # the first batch: Ann
    assert [m.to for m in mail.outbox] == [["ann@example.org"]]
    token = tokens.make(tokens.UNSUBSCRIBE, Delivery.objects.get(contact=ava).pk)
    assert fresh().post(f"/mail/u/{token}/").status_code == 200  # Ava's one-click link
    assert dispatch.drive(send.pk, seconds=10).done
    assert [m.to for m in mail.outbox] == [["ann@example.org"]]
    row = Delivery.objects.get(contact=ava)
    assert (row.state, row.reason) == (Delivery.State.SKIPPED, Delivery.Reason.NOT_SUBSCRIBED)


def test_without_the_unsubscribe_the_second_batch_reaches_her(sending, settings):
    settings.WAGTAIL_DISTMARK_SEND_BATCH_SIZE = 1
    sending.add_contact("a", "ava@example.org", "Ava")
    send = dispatch.create_send(sending.campaign_a, sending.net.users["manager_a"])
    assert dispatch.start(send.pk)
    send.refresh_from_db()
    assert engine.send_batch(send, 1).sent == 1
    assert dispatch.drive(send.pk, seconds=10).done
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.org", "ava@example.org"]


# Clicks


def test_a_click_redirects_to_exactly_the_link_of_the_email_for_that_person(sent):
    shop, brand = links_of("ann@example.org")["clicks"]
    response = fresh().get(shop, {"next": "https://evil.example/"}, HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 302
    # The contact's value is percent-encoded where it stands (after the link's start).
    assert response["Location"] == "https://shop.example/autumn?e=ann%40example.org&from=mail"
    assert fresh().get(brand, HTTP_USER_AGENT=BROWSER)["Location"] == BRAND
    ava_shop = links_of("ava@example.org")["clicks"][0]
    assert fresh().get(ava_shop)["Location"].endswith("e=ava%40example.org&from=mail")
    event = DeliveryEvent.objects.filter(kind="click").order_by("pk").first()
    assert (event.delivery.contact.email, event.link_index, event.is_machine) == (
        "ann@example.org", 0, False,
    )  # fmt: skip


def test_a_crafted_click_index_or_token_is_a_404(sent):
    ann = delivery_of("ann@example.org")
    for token in (
        tokens.make(tokens.CLICK, ann.pk, 2),  # one past the last link
        tokens.make(tokens.CLICK, ann.pk, 99999),
        tokens.make(tokens.CLICK, ann.pk),  # no link number
        tokens.make(tokens.UNSUBSCRIBE, ann.pk),
        tokens.make(tokens.CLICK, 987654, 0),  # no such delivery
    ):
        response = fresh().get(f"/mail/c/{token}/")
        assert response.status_code == 404, token
        assert "Location" not in response
    assert fresh().get(f"/mail/c/{tokens.make(tokens.CLICK, ann.pk, 1)}/").status_code == 302
    assert DeliveryEvent.objects.filter(kind="click").count() == 1


def test_a_click_within_seconds_of_the_delivery_is_a_machines(sent):
    Delivery.objects.update(sent_at=timezone.now())
    fresh().get(links_of("ann@example.org")["clicks"][0], HTTP_USER_AGENT=BROWSER)
    event = DeliveryEvent.objects.get(kind="click")
    assert (event.is_machine, event.machine_reason) == (True, "too_fast")


def test_a_scanners_click_still_redirects_and_is_counted_apart(sent):
    shop = links_of("ann@example.org")["clicks"][0]
    assert fresh().head(shop, HTTP_USER_AGENT=BROWSER).status_code == 302
    assert fresh().get(shop, HTTP_USER_AGENT="Barracuda Sentinel (EE)").status_code == 302
    assert fresh().get(shop, HTTP_USER_AGENT=BROWSER).status_code == 302  # the person
    reasons = list(DeliveryEvent.objects.order_by("pk").values_list("machine_reason", flat=True))
    assert reasons == ["head", "user_agent:barracuda", ""]
    counts = tracking.event_counts(sent.send)
    assert (counts["clicks"], counts["clicks_machine"], counts["unique_clickers"]) == (1, 2, 1)


@pytest.mark.parametrize(
    ("agent", "method", "reason"),
    [
        ("Mozilla/5.0", "get", "apple_mpp"),
        ("Barracuda Sentinel (EE)", "get", "user_agent:barracuda"),
        ("python-requests/2.32.3", "get", "user_agent:python-requests"),
        ("Mozilla/5.0 (compatible; bingbot/2.0)", "get", "user_agent:bot"),
        ("", "get", "no_user_agent"),
        (BROWSER, "head", "head"),
        (BROWSER, "get", ""),  # a person
        ("Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com "
         "GoogleImageProxy)", "get", ""),  # Gmail fetching for the person who opens
    ],
)  # fmt: skip
def test_opens_by_machines_are_recorded_apart(sent, agent, method, reason):
    response = getattr(fresh(), method)(links_of("ann@example.org")["pixel"], HTTP_USER_AGENT=agent)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    assert "no-store" in response["Cache-Control"]
    event = DeliveryEvent.objects.get(kind="open")
    assert (event.is_machine, event.machine_reason) == (bool(reason), reason)
    assert event.user_agent == agent


def test_a_bad_pixel_token_is_still_a_gif_and_records_nothing(sent):
    ann = delivery_of("ann@example.org")
    for token in ("nope", tokens.make(tokens.CLICK, ann.pk, 0), "x" * 500):
        response = fresh().get(f"/mail/o/{token}.gif")
        assert response.status_code == 200
        assert response.content.startswith(b"GIF89a")
    assert not DeliveryEvent.objects.exists()


def test_a_long_user_agent_is_stored_bounded(sent):
    fresh().get(links_of("ann@example.org")["pixel"], HTTP_USER_AGENT="Bot\x00" + "x" * 10_000)
    event = DeliveryEvent.objects.get(kind="open")
    assert len(event.user_agent) <= 255 and "\x00" not in event.user_agent
    assert event.machine_reason == "user_agent:bot"


# View online


def test_view_online_shows_the_persons_own_email(sent):
    sent.ann.first_name, sent.ava.first_name = "Annabelle", "Avaline"
    sent.ann.save(update_fields=["first_name"])
    sent.ava.save(update_fields=["first_name"])
    ann = fresh().get(links_of("ann@example.org")["view"])
    assert ann.status_code == 200
    assert ann["X-Robots-Tag"].startswith("noindex")
    assert ann["Referrer-Policy"] == "no-referrer"
    page = ann.content.decode()
    assert "Autumn is here" in page and "Hello Annabelle" in page
    assert "ava@example.org" not in page and "Avaline" not in page
    assert links_of("ann@example.org")["unsubscribe"] in page
    assert links_of("ava@example.org")["unsubscribe"] not in page
    ava = fresh().get(links_of("ava@example.org")["view"]).content.decode()
    assert links_of("ava@example.org")["unsubscribe"] in ava


def test_every_public_response_carries_the_private_headers_and_view_online_is_sandboxed(sent):
    links = links_of("ann@example.org")
    view = fresh().get(links["view"])
    assert view["Content-Security-Policy"] == (
        "sandbox; default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'"
    )
    responses = {
        "view": view,
        "unsubscribe": fresh().get(links["unsubscribe"]),
        "pixel": fresh().get(links["pixel"], HTTP_USER_AGENT=BROWSER),
        "click": fresh().get(links["clicks"][0], HTTP_USER_AGENT=BROWSER),
        "not found": fresh().get("/mail/v/forged/"),
    }
    for name, response in responses.items():
        assert response["X-Robots-Tag"] == "noindex, nofollow", name
        assert response["Referrer-Policy"] == "no-referrer", name
        assert "no-store" in response["Cache-Control"], name
    # Only the e-mail itself is sandboxed (the confirmation page keeps its own form).
    assert "Content-Security-Policy" not in responses["unsubscribe"]


def test_view_online_of_an_erased_person_is_no_longer_available(sent):
    Delivery.objects.get(contact=sent.ann).contact.__class__.objects.filter(pk=sent.ann.pk).update(
        erased_at=timezone.now()
    )
    response = fresh().get(links_of("ann@example.org")["view"])
    assert response.status_code == 410
    assert "no longer available" in response.content.decode()
    assert fresh().get(links_of("ava@example.org")["view"]).status_code == 200


# Crafted input


CRAFTED = [
    "x" * 5000,
    "%00",
    "a%00b",
    "%C3%A9%F0%9F%98%80",
    "1:%00",
    "..",
    "1:" + "A" * 43,
    "%FF%FE",
    "0:abc",
    "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz:x",
    "-1:x",
]


def test_crafted_tokens_and_methods_never_500(sent):
    client = fresh()
    for prefix in ("u", "v", "c", "o"):
        for token in CRAFTED:
            path = f"/mail/{prefix}/{token}.gif" if prefix == "o" else f"/mail/{prefix}/{token}/"
            for method in ("get", "post", "head", "put", "delete", "options"):
                response = getattr(client, method)(path)
                assert response.status_code in (200, 404, 405), (method, path, response)
                if prefix == "o":
                    assert response.content.startswith(b"GIF89a") or method == "head"
    assert not DeliveryEvent.objects.exists()
    assert status(sent, sent.ann) == SUBSCRIBED


@pytest.mark.parametrize(
    "body",
    [
        b'--x\r\nContent-Disposition: form-data; name="scope"\r\n\r\n',
        b"\x00\xff" * 1000,
        b"List-Unsubscribe=One-Click&scope=%00%FF",
    ],
)
def test_a_crafted_unsubscribe_body_never_500(sent, body):
    path = links_of("ann@example.org")["unsubscribe"]
    response = fresh().post(path, body, content_type="multipart/form-data; boundary=x")
    assert response.status_code in (200, 400)
    response = fresh().post(path, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert status(sent, sent.ann) == UNSUBSCRIBED


def test_a_click_reads_only_its_link_and_still_fills_the_recipients_own_links(sent):
    """A click loads link N and the unit's values, not the send's compiled message nor its
    every link; a link that holds the recipient's unsubscribe URL still gets it."""
    ann = delivery_of("ann@example.org")
    rows = public.CLICK_ROWS.annotate(link=KeyTransform("0", "send__links"))
    delivery = rows.get(pk=ann.pk)
    assert delivery.link == sent.send.links[0]
    assert "send" not in delivery._state.fields_cache  # the send row itself is never loaded
    values = public.link_values(delivery, ["https://shop.example/?u=", "unsubscribe_url", ""])
    url = tracking.render_link(["https://shop.example/?u=", "unsubscribe_url", ""], values)
    assert url.startswith("https://shop.example/?u=http") and "%2Fmail%2Fu%2F" in url
    assert values["contact.email"] == "ann@example.org"


def test_a_busy_database_answers_503_to_try_again_and_writes_nothing(sending, client, monkeypatch):
    """SQLite's lock under concurrent one-click POSTs gave a 500 (attacker): a 503 with
    Retry-After, which mail clients retry, and nothing half written."""
    send = dispatch.create_send(sending.campaign_a)
    dispatch.start(send.pk)
    dispatch.drive(send.pk, seconds=5)
    delivery = send.deliveries.get()
    token = tokens.make(tokens.UNSUBSCRIBE, delivery.pk)

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(public, "unsubscribe_delivery", locked)
    url = reverse("wagtail_distmark_public:unsubscribe", args=[token])
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 503 and response["Retry-After"] == "5"
    monkeypatch.undo()
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200


def test_the_consent_history_names_no_send(sending, client):
    """Other units on the person's list read the history: it must not say which unit wrote."""
    send = dispatch.create_send(sending.campaign_a)
    dispatch.start(send.pk)
    dispatch.drive(send.pk, seconds=5)
    delivery = send.deliveries.get()
    url = reverse("wagtail_distmark_public:unsubscribe",
                  args=[tokens.make(tokens.UNSUBSCRIBE, delivery.pk)])  # fmt: skip
    client.post(url, {"List-Unsubscribe": "One-Click"})
    event = ConsentEvent.objects.filter(contact=delivery.contact).latest("pk")
    assert event.evidence == "Unsubscribe link in an e-mail"
    assert f"#{send.pk}" not in event.evidence
