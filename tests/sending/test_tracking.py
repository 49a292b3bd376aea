"""Link rewriting, the open pixel, machine detection and the counts, without sending."""

import time
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.test import RequestFactory
from django.utils import timezone

from wagtail_distmark.markup.merge_tags import MergeTemplate, split_tags
from wagtail_distmark.sending import tracking
from wagtail_distmark.sending.tracking import OPEN_TAG, click_tag, prepare_links

HTML = (
    '<html><body><a href="https://shop.example/?a=1&amp;e={{ contact.email }}" class="b">Shop</a>'
    '<abbr title="https://not.a.link">x</abbr>'
    '<a title="see href=" href="mailto:hello@brand.example">Write</a>'
    '<a target="_blank" href="{{ unsubscribe_url }}">Unsubscribe</a>'
    '<a href="{{ view_online_url }}">View online</a>'
    '<a href="#top">Top</a><a href="tel:+33123">Call</a>'
    '<a href="https://shop.example/?a=1&amp;e={{ contact.email }}">Shop again</a>'
    '<A HREF="http://brand.example/p">Upper case</A>'
    '<a href="{{ unit.website }}">Our site</a>'
    "</body></html>"
)


def rewrite(html):
    return prepare_links(split_tags(html))


def test_web_links_become_click_tags_and_the_others_stay():
    parts, links = rewrite(HTML)
    tags = parts[1::2]
    assert tags == [
        click_tag(0), "unsubscribe_url", "view_online_url", click_tag(0), click_tag(1),
        click_tag(2),
    ]  # fmt: skip
    assert links == [
        ["https://shop.example/?a=1&e=", "contact.email", ""],  # unescaped: the real URL
        ["http://brand.example/p"],
        ["", "unit.website", ""],
    ]
    text = "".join(parts[::2])
    for kept in ('href="mailto:hello@brand.example"', 'href="#top"', 'href="tel:+33123"',
                 'title="https://not.a.link"', 'title="see href="'):  # fmt: skip
        assert kept in text


def test_a_link_is_rendered_for_the_contact_at_click_time():
    _parts, links = rewrite(HTML)
    values = {"contact.email": "ann+tag@example.org", "unit.website": "https://a.example/"}
    assert (
        tracking.render_link(links[0], values)
        == "https://shop.example/?a=1&e=ann%2Btag%40example.org"
    )  # a value after the link's start is percent-encoded
    assert tracking.render_link(links[2], values) == "https://a.example/"  # a whole link: as is


@pytest.mark.parametrize(
    ("link", "value"),
    [
        (["https://shop.example", "contact.first_name", ""], "@evil.example/"),
        (["https://shop.example", "contact.first_name", "/p"], ".evil.example"),
        (["https://shop.example", "contact.first_name", ""], ":443@evil.example"),
        (["https://shop.example/", "contact.first_name", ""], "/evil.example/"),
        (["https://shop.example/?q=", "contact.first_name", ""], "#@evil.example"),
        (["http", "contact.first_name", ""], "s://evil.example/"),
    ],
)
def test_a_contacts_value_cannot_move_the_redirect_to_another_host(link, value):
    url = tracking.render_link(link, {"contact.first_name": value})
    assert url is None or urlsplit(url).hostname == "shop.example", url


def test_a_value_inside_a_link_is_encoded_and_the_link_keeps_its_host():
    link = ["https://shop.example/hello/", "contact.first_name", "?x=1"]
    url = tracking.render_link(link, {"contact.first_name": "@evil.example/"})
    assert url == "https://shop.example/hello/%40evil.example%2F?x=1"
    assert urlsplit(url).hostname == "shop.example"
    # Its twin: a name that is just a name goes through unchanged.
    assert tracking.render_link(link, {"contact.first_name": "Ann"}) == (
        "https://shop.example/hello/Ann?x=1"
    )


@pytest.mark.parametrize(
    "value",
    ["javascript:alert(1)", "mailto:x@y", "//evil.example", "https://", "https://a\r\nb.example",
     "ftp://x.example", "", "http://x.example/\x00"],
)  # fmt: skip
def test_only_an_http_link_with_a_host_is_a_redirect_target(value):
    assert tracking.render_link(["", "unit.website", ""], {"unit.website": value}) is None
    assert tracking.render_link(["", "unit.website", ""], {"unit.website": "https://ok.example"})


def test_the_rewritten_parts_merge_like_the_original():
    parts, _links = rewrite(HTML)
    html = MergeTemplate.from_parts(parts).render({click_tag(0): "https://t.example/c/0/"})
    assert html.count('href="https://t.example/c/0/"') == 2
    assert "shop.example" not in html


def test_a_html_without_links_is_unchanged():
    parts = split_tags("<p>Hello {{ contact.first_name }}, <abbr>a</abbr> <area></p>")
    assert prepare_links(parts) == (parts, [])


def test_the_scan_is_linear_on_hostile_html():
    hostile = [
        "<a " * 100_000,
        '<a href="' + "x" * 300_000,
        '<a title="' + '"' * 200_000,
        "<a href=" + "=" * 200_000 + '"x">',
        ("{{ contact.email }}" + '<a href="https://x.example/{{ contact.email }}">') * 5_000,
    ]
    for html in hostile:
        started = time.perf_counter()
        parts, links = rewrite(html)
        assert time.perf_counter() - started < 2
        assert len(links) <= tracking.MAX_LINKS
        assert "".join(p for p in parts[::2]).count("<a") == html.count("<a")


def test_no_more_than_max_links_are_tracked():
    html = "".join(f'<a href="https://x.example/{n}">{n}</a>' for n in range(600))
    parts, links = rewrite(html)
    assert len(links) == tracking.MAX_LINKS
    assert "https://x.example/599" in "".join(parts[::2])  # left as it was


def test_the_open_pixel_goes_before_the_body_ends():
    parts = tracking.add_open_pixel(
        split_tags("<html><body><p>{{ contact.first_name }}</p></body></html>")
    )
    assert parts[-2] == OPEN_TAG
    html = MergeTemplate.from_parts(parts).render({OPEN_TAG: "https://t.example/o/x.gif"})
    assert html.endswith('alt="" border="0" style="display:block;width:1px;height:1px;border:0;'
                         'opacity:0;" /></body></html>')  # fmt: skip
    assert '<img src="https://t.example/o/x.gif" width="1" height="1"' in html
    appended = tracking.add_open_pixel(["<p>no body</p>"])
    assert appended[1] == OPEN_TAG and appended[0].startswith("<p>no body</p><img")


# Machines


def request(method="get", agent=None):
    headers = {} if agent is None else {"HTTP_USER_AGENT": agent}
    return getattr(RequestFactory(), method)("/mail/o/x.gif", **headers)


@pytest.mark.parametrize(
    ("method", "agent", "reason"),
    [
        ("head", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0", "head"),
        ("get", "Mozilla/5.0", "apple_mpp"),
        ("get", "  mozilla/5.0 ", "apple_mpp"),
        ("get", "Mimecast URL Protection", "user_agent:mimecast"),
        ("get", "Proofpoint URL Defense", "user_agent:proofpoint"),
        ("get", "Microsoft Office Existence Discovery",
         "user_agent:office existence discovery"),
        ("get", "curl/8.5.0", "user_agent:curl/"),
        ("get", "Mozilla/5.0 (compatible; Googlebot/2.1)", "user_agent:bot"),
        ("get", "", "no_user_agent"),
        ("get", None, "no_user_agent"),
        ("get", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148", ""),
        ("get", "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com "
                "GoogleImageProxy)", ""),
        ("get", "Mozilla/4.0 (compatible; ms-office; MSOffice 16)", ""),  # Outlook, a person
    ],
)  # fmt: skip
def test_machine_reason(method, agent, reason):
    req = request(method, agent)
    assert tracking.machine_reason(req, tracking.user_agent(req)) == reason


def test_the_user_agent_is_bounded_before_it_is_matched():
    req = request(agent="x" * 10_000 + "bot")
    agent = tracking.user_agent(req)
    assert len(agent) == 255 and tracking.machine_reason(req, agent) == ""
    assert tracking.user_agent(request(agent="a\x00b\nc")) == "abc"


def test_a_click_is_too_fast_within_the_setting(settings):
    settings.WAGTAIL_DISTMARK_MACHINE_CLICK_SECONDS = 30
    now = timezone.now()
    assert tracking.too_fast(SimpleNamespace(sent_at=now - timedelta(seconds=10))) == "too_fast"
    assert tracking.too_fast(SimpleNamespace(sent_at=now - timedelta(seconds=40))) == ""
    assert tracking.too_fast(SimpleNamespace(sent_at=None)) == ""


# Counts


@pytest.mark.django_db
def test_event_counts_keep_machines_apart(sending):
    from django.core import mail  # noqa: F401 (the send below fills the outbox)

    from wagtail_distmark.sending import dispatch
    from wagtail_distmark.sending.models import Delivery, DeliveryEvent

    ava = sending.add_contact("a", "ava@example.org", "Ava")
    send = dispatch.create_send(sending.campaign_a, sending.net.users["manager_a"])
    assert dispatch.start(send.pk) and dispatch.drive(send.pk, seconds=10).done
    ann_row = Delivery.objects.get(contact=sending.people["a1"])
    ava_row = Delivery.objects.get(contact=ava)
    Event = DeliveryEvent
    Event.objects.bulk_create([
        Event(delivery=ann_row, kind="open"), Event(delivery=ann_row, kind="open"),
        Event(delivery=ann_row, kind="click", link_index=0),
        Event(delivery=ava_row, kind="open", is_machine=True, machine_reason="apple_mpp"),
        Event(delivery=ava_row, kind="click", is_machine=True, machine_reason="too_fast"),
        Event(delivery=ava_row, kind="unsubscribe"),
    ])  # fmt: skip
    assert tracking.event_counts(send) == {
        "opens": 2, "opens_machine": 1, "clicks": 1, "clicks_machine": 1,
        "unique_openers": 1, "unique_clickers": 1,
    }  # fmt: skip
    assert dispatch.Send.objects.count() == 1


def test_event_counts_of_a_send_without_events_are_zeros(db):
    from wagtail_distmark.sending.models import Send

    counts = tracking.event_counts(Send(pk=123456))
    assert set(counts.values()) == {0} and len(counts) == 6
