"""Rate limits shared by every worker: overall, per sender domain, per send.

Memory storage for the rules (reset between tests), Redis for "two workers share one
budget" (skipped without a Redis at 127.0.0.1:6379). No timed assertions: the grants and
waits that ``acquire`` returns are what is checked.
"""

import uuid
from types import SimpleNamespace

import pytest
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from tests.sending.backends import (  # noqa: F401 (fixtures)
    SCRIPT,
    add_people,
    drive_to_end,
    reset_limits,
    scripted,
    started_send,
)
from wagtail_distmark.sending import dispatch, ratelimit

REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture(autouse=True)
def memory(settings):
    settings.WAGTAIL_DISTMARK_RATE_LIMIT_STORAGE = "memory://"
    settings.WAGTAIL_DISTMARK_SEND_RATE_LIMIT = ""
    settings.WAGTAIL_DISTMARK_SEND_RATE_LIMIT_PER_SEND = ""
    settings.WAGTAIL_DISTMARK_SEND_RATE_LIMITS_PER_DOMAIN = {}
    reset_limits()
    yield
    reset_limits()


def fake_send(pk=1, domain="shop.example", rate_limit=""):
    return SimpleNamespace(pk=pk, message={"domain": domain}, rate_limit=rate_limit)


def test_no_limit_grants_what_is_asked():
    assert ratelimit.acquire(fake_send(), 100) == ratelimit.Grant(count=100)


def test_the_overall_limit_grants_up_to_it_then_a_wait(settings):
    settings.WAGTAIL_DISTMARK_SEND_RATE_LIMIT = "5/second"
    first = ratelimit.acquire(fake_send(pk=1), 100)
    assert first.count == 5
    second = ratelimit.acquire(fake_send(pk=2), 100)  # another send: the same budget
    assert second.count == 0
    assert 0 < second.wait <= 1.0


def test_a_batch_smaller_than_asked_takes_what_is_left(settings):
    settings.WAGTAIL_DISTMARK_SEND_RATE_LIMIT = "10/minute"
    assert ratelimit.acquire(fake_send(), 7).count == 7
    assert ratelimit.acquire(fake_send(), 7).count == 3
    grant = ratelimit.acquire(fake_send(), 7)
    assert grant.count == 0 and 0 < grant.wait <= 60


def test_the_limit_per_domain_counts_each_domain_apart(settings):
    settings.WAGTAIL_DISTMARK_SEND_RATE_LIMITS_PER_DOMAIN = {"shop.example": "3/minute",
                                                            "*": "2/minute"}  # fmt: skip
    assert ratelimit.acquire(fake_send(pk=1, domain="shop.example"), 10).count == 3
    assert ratelimit.acquire(fake_send(pk=2, domain="shop.example"), 10).count == 0
    assert ratelimit.acquire(fake_send(pk=3, domain="other.example"), 10).count == 2
    assert ratelimit.acquire(fake_send(pk=4, domain="other.example"), 10).count == 0
    # "*" is the limit of each other domain, counted per domain.
    assert ratelimit.acquire(fake_send(pk=5, domain="third.example"), 10).count == 2


def test_the_limit_per_send_counts_each_send_apart(settings):
    settings.WAGTAIL_DISTMARK_SEND_RATE_LIMIT_PER_SEND = "4/minute"
    assert ratelimit.acquire(fake_send(pk=1), 10).count == 4
    assert ratelimit.acquire(fake_send(pk=1), 10).count == 0
    assert ratelimit.acquire(fake_send(pk=2), 10).count == 4
    assert ratelimit.acquire(fake_send(pk=3, rate_limit="1/minute"), 10).count == 1


def test_a_spent_limit_does_not_eat_the_others_budget(settings):
    settings.WAGTAIL_DISTMARK_SEND_RATE_LIMIT = "10/minute"
    settings.WAGTAIL_DISTMARK_SEND_RATE_LIMIT_PER_SEND = "2/minute"
    assert ratelimit.acquire(fake_send(pk=1), 10).count == 2
    for _ in range(3):
        assert ratelimit.acquire(fake_send(pk=1), 10).count == 0
    assert ratelimit.acquire(fake_send(pk=2), 10).count == 2  # the overall budget is intact
    assert ratelimit.acquire(fake_send(pk=3), 10).count == 2
    assert ratelimit.acquire(fake_send(pk=4), 10).count == 2
    assert ratelimit.acquire(fake_send(pk=5), 10).count == 2
    assert ratelimit.acquire(fake_send(pk=6), 10).count == 0  # 10 of the overall


@pytest.mark.django_db
@pytest.mark.usefixtures("scripted")
def test_drive_sends_no_more_than_the_limit_at_a_time(sending, settings, monkeypatch):
    settings.WAGTAIL_DISTMARK_SEND_RATE_LIMIT = "5/second"
    add_people(sending, 11)
    send = started_send(sending)
    grants = []

    def recording(send, wanted):
        grant = acquire(send, wanted)
        grants.append(grant)
        return grant

    acquire = ratelimit.acquire
    monkeypatch.setattr(ratelimit, "acquire", recording)
    drive_to_end(send)
    assert len(SCRIPT.accepted) == 12
    assert all(grant.count <= 5 for grant in grants)
    assert sum(grant.count for grant in grants) >= 12
    assert any(grant.count == 0 and grant.wait > 0 for grant in grants)
    assert dispatch.drive(send.pk, seconds=1).done


# Redis: two workers, one budget


def redis_limiter(prefix: str) -> SlidingWindowCounterRateLimiter:
    return SlidingWindowCounterRateLimiter(RedisStorage(REDIS, key_prefix=prefix))


@pytest.fixture
def two_workers(monkeypatch):
    """Two limiters on one Redis (as two worker processes have), used in turn."""
    prefix = f"distmark-test-{uuid.uuid4().hex}"
    workers = [redis_limiter(prefix), redis_limiter(prefix)]
    try:
        workers[0].storage.check() or pytest.skip("no Redis at 127.0.0.1:6379")
    except Exception:  # noqa: BLE001
        pytest.skip("no Redis at 127.0.0.1:6379")
    turn = iter(workers * 50)
    monkeypatch.setattr(ratelimit, "limiter", lambda uri: next(turn))
    yield workers
    workers[0].storage.reset()


def test_two_workers_share_one_budget_in_redis(settings, two_workers):
    settings.WAGTAIL_DISTMARK_SEND_RATE_LIMIT = "10/minute"
    assert ratelimit.acquire(fake_send(pk=1), 6).count == 6  # worker 1
    assert ratelimit.acquire(fake_send(pk=1), 6).count == 4  # worker 2: what is left
    grant = ratelimit.acquire(fake_send(pk=2), 6)  # worker 1 again, another send
    assert grant.count == 0 and 0 < grant.wait <= 60


def test_memory_storage_is_not_shared_between_instances():
    """Why Redis is needed for several workers: two memory storages count apart."""
    item = ratelimit.parsed("1/minute")
    first = SlidingWindowCounterRateLimiter(MemoryStorage())
    second = SlidingWindowCounterRateLimiter(MemoryStorage())
    assert first.hit(item, "x") and second.hit(item, "x")
