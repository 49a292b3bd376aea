"""Crafted POSTs to every admin form, found from Django's resolver: no form is listed by hand.

For each role that posts in the scope sweep, every ``/admin/`` URL is filled with the role's
OWN objects (``fill_route`` and Store A's pool, so the page shows a real form), requested, and
each POST form on it (``page_forms``: all of them, files included) is read into the POST a
browser would send. Hypothesis (bounded and derandomized) then posts a few mutations of it: a
field replaced by a crafted value (Unicode tricks, NUL, lone surrogates, 100k characters,
20-digit and negative ids, another unit's ids, broken JSON), repeated where one value is
expected, dropped, or joined by an extra key; a file replaced by an empty, binary, misnamed or
one-huge-line file. Each POST must answer below 500, show no marker of a unit the role must not
see, and leave the rows of those units as they were. HQ, who may change everything, fuzzes the
plugin's screens (its set-up forms are HQ-only) and is only held to "never a 5xx".

A new view, model or field is covered at once; the failure message names the form's route, the
role, the mutated field and value, and the last frames of the traceback. Two planted forms (this
module is their URLconf) show that a crash, a leak and a write to another unit's row are found.
Each role's counts (pages, forms, POSTs, statuses) are printed.
"""

import re
import sys
import traceback
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Q
from django.http import HttpResponse
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, path, resolve
from hypothesis import given
from hypothesis import strategies as st
from wagtail.models import Revision

from tests.security.forms import PageForm, page_forms
from tests.security.test_campaign_fuzz import BROKEN_JSON, NUMBERS, TRICKS, fuzz, posted_body
from tests.security.test_scope_sweep import (
    body_of,
    changes,
    hidden_markers,
    snapshot,
    store_pool,
    target_query,
    watched,
    written,
)
from tests.security.urls import SKIPPED, Probe, all_routes, fill_route
from wagtail_distmark.models import (
    Audience,
    ContactAttribute,
    ContactFieldPolicy,
    LocalCampaign,
    Suppression,
    Tag,
)
from wagtail_distmark.rules.roles import Role

pytestmark = pytest.mark.django_db

#: Role -> the stores whose markers it must never see and whose rows it must never change, and
#: the route names it fuzzes (a substring; "" is every admin route).
ROLES = {
    "manager_a": {"hidden": ["b", "c"], "routes": ""},
    "editor_a": {"hidden": ["b", "c"], "routes": ""},
    "regional_north": {"hidden": ["c"], "routes": ""},
    "hq": {"hidden": [], "routes": "distmark"},
}

#: Mutated POSTs per form, forms per page: together they keep a role's pass to about a minute.
EXAMPLES = 6
FORMS_PER_PAGE = 3

#: Failures found and not fixed yet: (page route name, role) -> reason and owner. Each is left
#: out of its role's pass and pinned by ``test_known_failure_is_still_there`` (strict xfail).
KNOWN_FAILURES: dict[tuple[str, str], str] = {}

#: Pages fuzzed last (read from the path, which names a bulk action too): posting to them
#: deletes the role's own objects or its membership.
DESTRUCTIVE = re.compile(r"delete|erase|remove")

LONG = "a" * 100_000
CRAFTED = [*TRICKS, *NUMBERS, *BROKEN_JSON, LONG, "\x00", "\ud800", "99999999999999999999",
           "-99999999999999999999", "-1", '{"a": [1, {"b": null}]}', "true", "[]"]  # fmt: skip
EXTRA_KEYS = ["unit", "unit_id", "units", "id", "pk", "created_by", "owner", "contact",
              "audience", "communication_type", "status", "role", "path", "next", "x"]  # fmt: skip
BASE_FILE = ("contacts.csv", b"email,first_name\nfuzz@example.com,Fuzz\n")
FILES = [
    ("empty.csv", b""),
    ("garbage.csv", bytes(range(256)) * 16),
    ("garbage.xlsx", b"PK\x03\x04" + bytes(range(256)) * 16),
    ("huge-line.csv", b"email," + b"x" * 1_000_000),
    ("\ud800.csv", b"email\n\x00@example.com\n"),
]


# -- the pages: every admin route, filled with the role's own objects -----------------------


def own_probes(world, routes: str) -> list[Probe]:
    """Concrete admin URLs filled with Store A's objects, destructive ones last."""
    pool = store_pool(world, "a")
    found, seen = [], set()
    for route in all_routes():
        if not route.route.startswith("admin/") or routes not in route.name:
            continue
        for probe in fill_route(route, pool) or []:
            if probe.path not in seen and route_name(probe.path):
                seen.add(probe.path)
                found.append(probe)
    return sorted(found, key=lambda probe: bool(DESTRUCTIVE.search(probe.path)))


def route_name(path: str) -> str | None:
    """The URL name a path resolves to, or None (not ours, or a URL the sweep skips)."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    name = match.view_name or match.url_name or path
    return None if name.rsplit(":", 1)[-1] in SKIPPED else name


def page_url(probe: Probe) -> str:
    query = target_query(probe)
    return probe.path + (f"?id={query['id']}" if query else "")


# -- the POSTs: the browser's, then mutated ------------------------------------------------


@dataclass
class Target:
    """A form to fuzz: the URL it posts to and the POST a browser would send."""

    page: str
    url: str
    name: str
    form: PageForm

    @property
    def key(self):
        names = sorted({name for name, _ in self.form.data})
        return urlsplit(self.url).path, tuple(names), tuple(self.form.files)


def targets_on(page_name: str, url: str, html: str) -> list[Target]:
    found = []
    for form in page_forms(html):
        action = urljoin(url, form.action)
        parts = urlsplit(action)
        name = route_name(parts.path) if parts.netloc in ("", "testserver") else None
        if name and parts.path.startswith("/admin/"):
            found.append(Target(page_name, action, name, form))
    return found


@dataclass
class Post:
    """One POST body: its fields, its files and what was changed (for the report)."""

    pairs: list
    files: list
    label: str


def base_post(target: Target) -> Post:
    files = [(name, *BASE_FILE) for name in target.form.files]
    return Post(list(target.form.data), files, "the browser's POST")


@st.composite
def mutated(draw, target: Target, ids: list[str]):
    post = base_post(target)
    labels = []
    for _ in range(draw(st.integers(1, 2))):
        mutation = draw(st.sampled_from(MUTATIONS))
        labels.append(mutation(draw, post, ids))
    post.label = "; ".join(label for label in labels if label) or "unchanged"
    return post


def crafted_value(draw, ids):
    return draw(st.one_of(st.sampled_from(CRAFTED), st.sampled_from(ids)))


def field_name(draw, post):
    """A field of the form to mutate (not the CSRF token: the test client does not check it)."""
    names = list(dict.fromkeys(name for name, _ in post.pairs if name != "csrfmiddlewaretoken"))
    return draw(st.sampled_from(names)) if names else None


def short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}...({len(str(value))} chars)"


def replace(draw, post, ids):
    name = field_name(draw, post)
    if name is None:
        return ""
    value = crafted_value(draw, ids)
    post.pairs = [(k, value if k == name else v) for k, v in post.pairs]
    return f"{name}={short(value)}"


def repeat(draw, post, ids):
    """A list where one value is expected: the key sent again."""
    name = field_name(draw, post)
    if name is None:
        return ""
    value = crafted_value(draw, ids)
    post.pairs = [*post.pairs, (name, value)]
    return f"{name} repeated with {short(value)}"


def drop(draw, post, ids):
    name = field_name(draw, post)
    if name is None:
        return ""
    post.pairs = [(k, v) for k, v in post.pairs if k != name]
    return f"{name} dropped"


def extra(draw, post, ids):
    name = draw(st.sampled_from(EXTRA_KEYS))
    value = crafted_value(draw, ids)
    post.pairs = [*post.pairs, (name, value)]
    return f"extra {name}={short(value)}"


def bad_file(draw, post, ids):
    if not post.files:
        return replace(draw, post, ids)
    index = draw(st.integers(0, len(post.files) - 1))
    name = post.files[index][0]
    if draw(st.booleans()):
        post.files = post.files[:index] + post.files[index + 1 :]
        post.pairs = [*post.pairs, (name, crafted_value(draw, ids))]  # text where a file goes
        return f"file {name} sent as text"
    filename, content = draw(st.sampled_from(FILES))
    post.files = [*post.files[:index], (name, filename, content), *post.files[index + 1 :]]
    return f"file {name}={short(filename)} ({len(content)} bytes)"


#: Where to go after the POST: Wagtail redirects to a posted ``next`` as given, and Django's
#: ``redirect`` reads a word with no slash or dot as a URL name (NoReverseMatch, a 500).
NEXT_VALUES = ["{{", "index", "javascript:alert(1)", "//evil.example/", "\x00", "../"]


def bad_next(draw, post, ids):
    value = draw(st.sampled_from(NEXT_VALUES))
    post.pairs = [*((k, v) for k, v in post.pairs if k != "next"), ("next", value)]
    return f"next={short(value)}"


MUTATIONS = [replace, replace, repeat, drop, extra, bad_file, bad_next]


def encoded(text) -> bytes:
    return str(text).encode("utf-8", "surrogatepass")


BOUNDARY = "FuZzBoUnDaRy7MA4YWxkTrZu0gW"


def multipart_body(post: Post) -> bytes:
    """A multipart body as HTTP allows it (lone surrogates become invalid UTF-8 bytes)."""
    parts = []
    for name, value in post.pairs:
        head = f'Content-Disposition: form-data; name="{name}"'
        parts.append(encoded(head) + b"\r\n\r\n" + encoded(value))
    for name, filename, content in post.files:
        head = (f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                "Content-Type: application/octet-stream")  # fmt: skip
        parts.append(encoded(head) + b"\r\n\r\n" + content)
    delimiter = f"--{BOUNDARY}".encode()
    body = b"".join(delimiter + b"\r\n" + part + b"\r\n" for part in parts)
    return body + delimiter + b"--\r\n"


def send(client, target: Target, post: Post):
    if target.form.multipart or post.files:
        content_type = f"multipart/form-data; boundary={BOUNDARY}"
        return client.post(target.url, multipart_body(post), content_type=content_type)
    body = posted_body(post.pairs)
    return client.post(target.url, body, content_type="application/x-www-form-urlencoded")


# -- the checks ---------------------------------------------------------------------------


def last_frames(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)[-3:]
    return " <- ".join(f"{f.filename.split('site-packages/')[-1]}:{f.lineno} {f.name}"
                       for f in reversed(frames))  # fmt: skip


class Watched:
    """Other units' rows (and rows of no unit): a POST that writes to their tables is followed
    by a comparison. Revisions are matched by content type AND id, since ids repeat across
    models and the role's own objects get revisions."""

    def __init__(self, objects):
        self.objects = objects
        self.tables = {type(obj)._meta.db_table for obj in objects} | {Revision._meta.db_table}
        self.state = self.take()

    def take(self) -> dict:
        state = snapshot(self.objects) if self.objects else {}
        state.pop("revisions", None)
        rows = Q(pk__in=[])
        for obj in self.objects:
            content_type = ContentType.objects.get_for_model(obj)
            rows |= Q(base_content_type=content_type, object_id=str(obj.pk))
        state["revisions"] = list(Revision.objects.filter(rows).order_by("pk").values_list("pk"))
        return state

    def changed(self) -> list[str]:
        before, self.state = self.state, self.take()
        return changes(before, self.state)


@dataclass
class Fuzz:
    """One role's pass: its client, what it must not see or change, and what it found."""

    client: Client
    who: str
    hidden: list
    watched: Watched | None
    failures: list = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)

    def post(self, target: Target, post: Post):
        self.counts["posts"] += 1
        label = f"{target.page} -> {target.name} as {self.who}: {post.label}"
        with CaptureQueriesContext(connection) as run:
            response, error = self.attempt(target, post)
        status = "raised" if response is None else f"{response.status_code // 100}xx"
        self.counts[status] += 1
        if error is not None:
            return self.failures.append(f"{label}: raised {error}")
        if response.status_code >= 500:
            return self.failures.append(f"{label}: answered {response.status_code}")
        self.failures.extend(f"{label}: shows {shown}" for shown in self.leaks(response))
        if self.watched and written(run.captured_queries) & self.watched.tables:
            self.failures.extend(f"{label}: changed {c}" for c in self.watched.changed())

    def attempt(self, target, post):
        """The response, or the error (with its last frames); a savepoint per POST, so a
        crash that broke the transaction does not fail every later POST."""
        try:
            with transaction.atomic():
                return send(self.client, target, post), None
        except Exception as error:  # noqa: BLE001 -- a crash is what the fuzz reports
            message = f"{type(error).__name__}: {error}"[:200]
            return None, f"{message} [{last_frames(error)}]"

    def leaks(self, response) -> list[str]:
        body = body_of(response)
        return sorted(
            {shown for marker in self.hidden
             for shown in re.findall(re.escape(marker) + r"[\w.-]*", body)}
        )  # fmt: skip


def foreign_ids(world, keys) -> list[str]:
    """The pks of every object of the other stores and of no unit: ids to swap in."""
    objects = list(world.unowned.values())
    for key in keys or ["b", "c"]:
        objects += world.stores[key].objects()
    return sorted({str(obj.pk) for obj in objects}, key=int)


def fuzz_form(run: Fuzz, target: Target, ids: list[str]):
    run.counts["forms"] += 1
    run.post(target, with_next(base_post(target), "{{"))  # first: a delete form deletes

    @fuzz(EXAMPLES)
    @given(post=mutated(target, ids))
    def example(post):
        run.post(target, post)

    example()
    run.post(target, base_post(target))  # the browser's own POST, last: it may delete


def with_next(post: Post, value: str) -> Post:
    pairs = [*((k, v) for k, v in post.pairs if k != "next"), ("next", value)]
    return Post(pairs, post.files, f"the browser's POST with next={short(value)}")


def fuzz_role(world, username: str, only: str = "") -> Fuzz:
    """Every failure of one role's pass (``only``: the pages of that route name)."""
    role = ROLES[username]
    user = world.users[username]
    client = Client()
    hidden_keys = [key for key in role["hidden"] if key != "a"]
    run = Fuzz(client, username, hidden_markers(role["hidden"]),
               Watched(watched(world, hidden_keys)) if hidden_keys else None)  # fmt: skip
    ids = foreign_ids(world, hidden_keys)
    seen = set()
    for probe in own_probes(world, role["routes"]):
        if only and probe.route.name != only:
            continue
        client.force_login(user)  # a form may have ended the session (a password change)
        for target in page_targets(run, probe):
            if target.key not in seen:
                seen.add(target.key)
                fuzz_form(run, target, ids)
    if run.watched:  # a write the per-POST check did not see (raw SQL, another connection)
        run.failures += [
            f"after all POSTs as {username}: changed {c}" for c in run.watched.changed()
        ]
    return run


def page_targets(run: Fuzz, probe: Probe) -> list[Target]:
    url = page_url(probe)
    try:
        response = run.client.get(url)
    except Exception:  # noqa: BLE001 -- a GET that crashes is the sweep's to report
        return []
    run.counts["pages"] += 1
    if response.status_code != 200 or getattr(response, "streaming", False):
        return []
    if not response.get("Content-Type", "").startswith("text/html"):
        return []
    html = response.content.decode("utf-8", "replace")
    return targets_on(probe.route.name or probe.path, url, html)[:FORMS_PER_PAGE]


def is_known(failure: str, page: str, username: str) -> bool:
    return failure.startswith(f"{page} -> ") and f" as {username}: " in failure


def report(run: Fuzz, failures) -> str:
    return f"{len(failures)} failure(s) in {dict(run.counts)}:\n" + "\n".join(failures)


# -- regressions of the deeper fuzz (30 examples a form) -----------------------------------


def protected_audience(world):
    """Store A's audience, which another audience is built on (so it cannot be deleted)."""
    own = world.stores["a"].audience
    Audience.objects.create(name="narrower", unit=own.unit, base=own,
                            communication_type=own.communication_type)  # fmt: skip
    return own


def test_deleting_a_protected_audience_with_a_crafted_next_is_no_500(world):
    """The deeper fuzz found it: the refusal redirected to the posted ``next`` as given, and
    Django read ``{{`` as a URL name (NoReverseMatch). Every viewset that asks the rules now
    drops such a ``next`` (``redirects.SafeNextViewSetMixin`` in ``RulesPolicyMixin``)."""
    client = Client(raise_request_exception=False)
    client.force_login(world.users["manager_a"])
    audience = protected_audience(world)
    url = f"/admin/distmark/contacts/audiences/delete/{audience.pk}/"
    response = client.post(url, {"next": "{{"})
    assert response.status_code < 500
    assert Audience.objects.filter(pk=audience.pk).exists()


def set_up_rows():
    """One row of each of HQ's contact set-up models, which the world has none of, so that
    their edit and delete pages show a form."""
    Tag.objects.create(name="fuzz-tag")
    ContactAttribute.objects.create(key="fuzz_attribute", label="Fuzz attribute")
    ContactFieldPolicy.objects.create(  # the default for editors, written down
        role=Role.UNIT_EDITOR, fields=["first_name", "last_name", "email"]
    )
    Suppression.objects.create(email_hash="0" * 64, reason=Suppression.Reason.values[0])


@pytest.mark.parametrize("username", list(ROLES))
def test_crafted_posts_to_every_admin_form_never_crash_leak_or_touch_other_units(
    world, username, capsys
):
    set_up_rows()
    run = fuzz_role(world, username)
    with capsys.disabled():
        print(f"\n[form fuzz] {username}: {dict(run.counts)}")
    failures = [
        failure
        for failure in run.failures
        if not any(is_known(failure, *known) for known in KNOWN_FAILURES)
    ]
    assert run.counts["forms"] > 0, "no form found: the pages did not answer"
    assert not failures, report(run, failures)


@pytest.mark.parametrize(
    ("page", "username"),
    [
        pytest.param(*key, marks=pytest.mark.xfail(strict=True, reason=reason))
        for key, reason in KNOWN_FAILURES.items()
    ],
)
def test_known_failure_is_still_there(world, page, username):
    set_up_rows()
    run = fuzz_role(world, username, only=page)
    known = [failure for failure in run.failures if is_known(failure, page, username)]
    assert not known, report(run, known)


# -- the fuzz finds what it is for: planted forms that crash, leak and write -----------------

PLANTED_ORDER = """<html><body>
<form method="post" action="/admin/planted/"><input name="quantity" value="3">
<input name="note" value="hello"><button type="submit">Save</button></form>
</body></html>"""


def planted_order(request):
    """Reads the quantity with ``int()``: a crafted value is a ValueError, a 500."""
    if request.method == "POST":
        return HttpResponse(str(int(request.POST.get("quantity", "0"))))
    return HttpResponse(PLANTED_ORDER)


def planted_rename(request):
    """Renames the campaign whose id is posted without asking whose it is, and names it."""
    if request.method == "POST":
        pk = request.POST.get("campaign", "")
        campaigns = LocalCampaign.objects.filter(pk=int(pk) if pk.isdigit() else 0)
        campaigns.update(subject="renamed")
        return HttpResponse(", ".join(campaign.name for campaign in campaigns))
    own = LocalCampaign.objects.get(name="OWN-A-campaign")
    return HttpResponse(f'<form method="post"><input name="campaign" value="{own.pk}"></form>')


#: The planted URLconf: this module (``ROOT_URLCONF`` is set to it in the test below).
urlpatterns = [
    path("admin/planted/", planted_order, name="planted_order"),
    path("admin/planted/rename/", planted_rename, name="planted_rename"),
]


@override_settings(ROOT_URLCONF="tests.security.test_form_fuzz")
def test_the_fuzz_finds_a_crash_a_leak_and_a_write_in_forms_it_was_not_told_about(
    world, monkeypatch
):
    # The ids swapped in are the other stores' campaigns only: among every object's id the
    # derandomized examples found the campaign's by chance (pk 3 on a fresh database).
    campaigns = [str(world.stores[key].campaign.pk) for key in ("b", "c")]
    monkeypatch.setattr(sys.modules[__name__], "foreign_ids", lambda world, keys: campaigns)
    run = fuzz_role(world, "manager_a")
    assert run.counts["forms"] == 2
    crashes = [failure for failure in run.failures if "raised ValueError" in failure]
    assert crashes, report(run, run.failures)
    assert all(c.startswith("planted_order -> planted_order as manager_a: ") for c in crashes)
    assert any("quantity" in crash for crash in crashes), crashes
    assert all("test_form_fuzz.py" in crash for crash in crashes)  # the frame at fault
    assert not any("quantity dropped" in c for c in crashes)  # a default, not a crash
    renames = [f for f in run.failures if f.startswith("planted_rename -> planted_rename as ")]
    assert any(re.search(r"campaign\b.*'\d+'.*: shows secret-[bc]-campaign$", f) for f in renames)
    assert any(re.search(r"campaign\b.*'\d+'.*: changed LocalCampaign$", f) for f in renames)
