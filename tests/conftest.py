import celery
import pytest
from wagtail_factories import ImageFactory

from tests.factories import NetworkBuilder
from wagtail_distmark.blocks import zone_data as zone
from wagtail_distmark.models import BrandTemplate


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Contact imports and exports: beside the test's media, never in the example site.
    settings.WAGTAIL_DISTMARK_PRIVATE_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache (compiled e-mails, renditions …)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def net(db):
    """A small network: HQ > North (Store A, Store B), South (Store C), and one user per role.

    ``net.units["a"]`` is Store A; ``net.users["manager_a"]`` its unit manager, and so on.
    """
    return NetworkBuilder.small()


@pytest.fixture
def client_for(client):
    """Log a user in and return the test client."""

    def login(user):
        client.force_login(user)
        return client

    return login


def pytest_sessionstart(session):
    """Fail the run at once, and say why, if a configured Celery broker is unreachable."""
    import os

    broker = os.environ.get("CELERY_BROKER_URL")
    if not broker:
        return
    from kombu import Connection

    try:
        with Connection(broker, connect_timeout=5) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as error:  # noqa: BLE001
        pytest.exit(f"CELERY_BROKER_URL={broker} is unreachable: {error}", returncode=3)


@pytest.fixture
def image(db):
    return ImageFactory(title="Candles")


@pytest.fixture
def brand_template(net, image):
    """A live template: an editable hero, a constrained offer (5–20 %), a locked legal footer."""
    template = BrandTemplate(
        name="Autumn promotion",
        description="Seasonal offer with a discount you choose.",
        subject="Autumn at {{ unit.name }}",
        preheader="Our new candles",
        body=[
            zone("hero", "hero", {"image": image.pk, "alt": "Candles",
                                  "heading": "Autumn is here", "text": ""}),
            zone("offer", "offer", {"title": "Your offer", "discount": 10, "text": "",
                                    "valid_until": None},
                 "constrained", min_value="5", max_value="20"),
            zone("legal", "legal_footer", {"text": "Maison Lumière SAS, Paris",
                                           "unsubscribe_label": "Unsubscribe"}, "locked"),
        ],
        live=True,
    )  # fmt: skip
    template.save()
    return template


@pytest.fixture
def eager_celery():
    """Run the Celery tasks in the test (CI points the app at a real broker)."""
    conf = celery.current_app.conf
    previous = conf.task_always_eager
    conf.task_always_eager = True
    yield
    conf.task_always_eager = previous
