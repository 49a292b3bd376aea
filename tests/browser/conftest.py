"""Browser harness: a real Chromium (Playwright, sync API) against the live example site.

Every test here is marked ``browser``; the default ``-m 'not browser'`` deselects them.
Run them with ``pytest -m browser tests/browser``. Full-page screenshots of each step go
to ``test-artifacts/browser/`` at the repository root (git-ignored).
"""

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.core.management import call_command

# Playwright's sync API runs an asyncio event loop in this thread, and Django refuses ORM
# calls from a thread with a running loop (loading the demo network, looking up units).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
# Serve on 127.0.0.1 rather than "localhost" (which may resolve to ::1), unless
# --liveserver or the environment already chose an address. Read when the session-scoped
# live_server starts, i.e. after this module is imported.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "distmark-demo"
VIEWPORT = {"width": 1440, "height": 900}
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser(django_db_setup):
    """One headless Chromium for the whole session, started once the test database exists.

    Django keeps its database connections in an asgiref ``Local`` that is thread-local in
    a sync thread but per-context as soon as an event loop runs, and Playwright's sync
    API leaves its loop marked as running in this thread between calls. Once it starts,
    this thread would get a second set of connection objects: ones that lack the test
    database's serialized contents, so every ``serialized_rollback`` after the first
    browser test would silently restore nothing. Hand Django the same objects in both.
    """
    from django.db import connections
    from playwright.sync_api import sync_playwright

    sync_connections = {alias: connections[alias] for alias in connections}
    with sync_playwright() as playwright:
        for alias, connection in sync_connections.items():
            connections[alias] = connection
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def demo_network(transactional_db, django_db_serialized_rollback, live_server):
    """The live server, with the Maison Lumière demo network in the database it reads.

    ``transactional_db``: the live server answers from another thread, so the data must
    be committed. Its teardown flushes every table, Wagtail's root page (created by a
    migration, and needed by ``load_demo_network``) included; the serialized rollback
    restores the migrated contents before the next test.
    """
    with open(os.devnull, "w") as devnull:
        call_command("load_demo_network", contacts=200, stdout=devnull)  # fast: few contacts
    return live_server


@pytest.fixture
def page(browser, demo_network):
    """A fresh page (new context, no cookies) whose relative URLs go to the live server.

    Requests to any other host are aborted, so the tests never depend on the network
    (Wagtail's avatars point at gravatar.com). ``page.failed_static`` lists the static
    files that did not load: the admin's CSS and JS must come from the live server.

    The test settings have ``DEBUG = False``, so the live server does not serve uploads:
    requests for ``MEDIA_URL`` are answered here from the test's ``MEDIA_ROOT`` (images
    and their renditions show in the screenshots; a missing file is a 404).
    """
    context = browser.new_context(base_url=demo_network.url, viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    live_netloc = urlsplit(demo_network.url).netloc

    def only_live_server(route):
        url = urlsplit(route.request.url)
        if url.netloc != live_netloc:
            route.abort()
        elif url.path.startswith(settings.MEDIA_URL):
            serve_media(route, unquote(url.path[len(settings.MEDIA_URL) :]))
        else:
            route.continue_()

    context.route("**/*", only_live_server)
    page = context.new_page()
    page.failed_static = []

    def record_static(response):
        if "/static/" in response.url and not response.ok:
            page.failed_static.append(f"{response.status} {response.url}")

    page.on("response", record_static)
    yield page
    context.close()


def serve_media(route, name: str) -> None:
    """Answer a request for the uploaded file ``name`` (relative to ``MEDIA_ROOT``)."""
    root = Path(settings.MEDIA_ROOT).resolve()
    file = (root / name).resolve()
    if file.is_relative_to(root) and file.is_file():
        route.fulfill(path=str(file))
    else:
        route.fulfill(status=404, body="Not found")


@pytest.fixture(scope="session")
def artifacts_dir():
    """``test-artifacts/browser/``, emptied of the previous run's screenshots."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS_DIR.glob("*.png"):
        old.unlink()
    return ARTIFACTS_DIR


@pytest.fixture
def screenshot(request, page, artifacts_dir):
    """``screenshot("step")`` saves a full-page PNG, ``<test>--<nn>-<step>.png``.

    The Wagtail admin scrolls inside ``<main>``, not the document, so a plain full-page
    screenshot stops at the viewport: grow the viewport to the content first.
    """
    test_name = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    steps = []

    def take(step: str) -> Path:
        steps.append(step)
        return save_screenshot(page, artifacts_dir / f"{test_name}--{len(steps):02d}-{step}.png")

    return take


def save_screenshot(page, path: Path) -> Path:
    """A full-page PNG of ``page`` at ``path``, scrolled content (``<main>``, an open modal)
    included: the viewport grows to the content for the shot."""
    hidden = page.evaluate(
        """() => Math.max(0, ...Array.from(document.querySelectorAll('main, .modal.show'),
               (el) => el.scrollHeight - el.clientHeight))"""
    )
    if hidden:
        page.set_viewport_size({**VIEWPORT, "height": VIEWPORT["height"] + hidden})
    try:
        page.screenshot(path=str(path), full_page=True)
    finally:
        if hidden:
            page.set_viewport_size(VIEWPORT)
    return path


def login(page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the Wagtail admin login form and wait for the dashboard.

    Signs out first (by dropping the cookies), so a test may switch users.
    """
    page.context.clear_cookies()
    page.goto("/admin/login/")
    page.fill("input[name='username']", username)
    page.fill("input[name='password']", password)
    page.click("button[type='submit']")
    page.wait_for_url(re.compile(r"/admin/$"))


@pytest.fixture
def shot(page, artifacts_dir):
    """``shot("library-chooser-manager")`` saves ``test-artifacts/browser/<name>.png``."""
    return lambda name: save_screenshot(page, artifacts_dir / f"{name}.png")


@pytest.fixture
def uncaught(page):
    """The page's uncaught script errors, to be empty at the end of a test."""
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


#: Parts of Wagtail's own admin chrome that axe-core finds fault with, excluded from every
#: check (CSS selectors). Empty: our screens and Wagtail 8.0's chrome around them pass.
#: Add a selector here only for Wagtail's markup, with the Wagtail issue that tracks it.
WAGTAIL_CHROME_EXCLUDES: list[str] = []

AXE = Axe()  # axe-core, as bundled by axe-playwright-python (no download)


def axe_violations(page, exclude: tuple[str, ...] = ()) -> list[dict]:
    """axe-core's violations on the page as it is now (every rule, WCAG 2.x A and AA and
    best practices), outside ``WAGTAIL_CHROME_EXCLUDES`` and ``exclude``."""
    settle_animations(page)
    selectors = [*WAGTAIL_CHROME_EXCLUDES, *exclude]
    context = {"exclude": [[selector] for selector in selectors]} if selectors else None
    return AXE.run(page, context=context).response["violations"]


def settle_animations(page) -> None:
    """Wait for short running transitions (a dropdown fading in) to end: colours mid-fade
    are not the colours people read. Long or endless ones (the Help menu's badge pings for
    25 s) are decoration and are not waited for."""
    page.wait_for_function(
        """() => document.getAnimations().every((animation) =>
               animation.playState !== 'running'
               || animation.effect.getComputedTiming().activeDuration > 2000)"""
    )


def describe_violations(violations: list[dict]) -> str:
    return "\n".join(
        f"{violation['id']} ({violation['impact']}): {violation['help']}\n"
        + "\n".join(f"    {node['target']}: {node['html'][:200]}" for node in violation["nodes"])
        for violation in violations
    )


@pytest.fixture
def assert_no_axe_violations():
    """``assert_no_axe_violations(page)``: axe-core finds nothing on the page as it is now.

    Ignores nothing but ``WAGTAIL_CHROME_EXCLUDES``; pass ``exclude=(selector, ...)`` only
    for markup the test does not own, and say why.
    """

    def check(page, exclude: tuple[str, ...] = ()) -> None:
        violations = axe_violations(page, exclude)
        assert not violations, f"axe-core on {page.url}:\n{describe_violations(violations)}"

    return check
