"""Rate limits shared by every worker on every machine: overall, per sender domain, per send.

Celery's own ``rate_limit`` counts per worker process, so ten workers send ten times the
limit. These counters live in the ``limits`` library's storage
(``WAGTAIL_DISTMARK_RATE_LIMIT_STORAGE``: Redis for a network of workers, memory for the
demo's single process), and a batch takes its whole size from each limit before it is
claimed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from wagtail_distmark import conf

logger = logging.getLogger(__name__)
#: Seconds a send waits when the rate limits' storage cannot be reached.
STORAGE_DOWN_WAIT = 5.0


@dataclass(frozen=True)
class Grant:
    """How many messages may go now (``count``), else how long to wait (``wait``, s)."""

    count: int
    wait: float = 0.0


@lru_cache(maxsize=4)
def limiter(uri: str) -> SlidingWindowCounterRateLimiter:
    return SlidingWindowCounterRateLimiter(storage_from_string(uri))


@lru_cache(maxsize=64)
def parsed(text: str) -> RateLimitItem:
    return parse(text)


def limits_for(send) -> list[tuple[RateLimitItem, str]]:
    """Every limit that applies to ``send``, each with its counter's key."""
    domain = (send.message or {}).get("domain", "")
    per_domain = conf.get_send_rate_limits_per_domain()
    texts = [
        (conf.get_send_rate_limit(), "all"),
        (per_domain.get(domain) or per_domain.get("*", ""), f"domain:{domain}"),
        (send.rate_limit or conf.get_send_rate_limit_per_send(), f"send:{send.pk}"),
    ]
    return [(parsed(text), key) for text, key in texts if text]


#: The namespace of every counter in the storage.
NAMESPACE = "distmark"


def acquire(send, wanted: int) -> Grant:
    """Take up to ``wanted`` messages from every limit of ``send``: what is left of the
    tightest (a batch smaller than asked rather than none), else how long to wait."""
    items = limits_for(send)
    if not items:
        return Grant(count=wanted)
    try:
        rate = limiter(conf.get_rate_limit_storage())
        count = min([wanted] + [left(rate, item, key) for item, key in items])
        if count > 0 and take(rate, items, count):
            return Grant(count=count)
        return Grant(count=0, wait=wait_for(rate, items))
    except Exception:  # noqa: BLE001 (the counters' storage, e.g. Redis, is unreachable)
        # Nothing is sent unmetered: the send waits and tries again (said in the log, and
        # the rows stay pending: nothing is lost).
        logger.warning("Send %s waits: the rate limits' storage is unreachable", send.pk,
                       exc_info=True)  # fmt: skip
        return Grant(count=0, wait=STORAGE_DOWN_WAIT)


def left(rate: SlidingWindowCounterRateLimiter, item: RateLimitItem, key: str) -> int:
    return min(item.amount, rate.get_window_stats(item, NAMESPACE, key).remaining)


def take(rate: SlidingWindowCounterRateLimiter, items, count: int) -> bool:
    """``count`` from every limit. Each is tested before any is hit, so that one already
    spent does not eat the others' budget (two workers may still race between test and
    hit: a budget taken and not used only slows sending, never speeds it)."""
    fits = all(rate.test(item, NAMESPACE, key, cost=count) for item, key in items)
    return fits and all(rate.hit(item, NAMESPACE, key, cost=count) for item, key in items)


def wait_for(rate: SlidingWindowCounterRateLimiter, items) -> float:
    """Until the spent limits let one more message go (50 ms to a minute)."""
    spent = [(item, key) for item, key in items if not rate.test(item, NAMESPACE, key)]
    resets = [rate.get_window_stats(item, NAMESPACE, key).reset_time for item, key in spent]
    return max(0.05, min(max(resets, default=0.0) - time.time(), 60.0))
