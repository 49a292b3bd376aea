"""A scriptable e-mail backend for the sending tests.

Point ``WAGTAIL_DISTMARK_EMAIL_BACKEND`` at ``tests.sending.backends.ScriptedBackend`` (the
``scripted`` fixture does) and tell :data:`SCRIPT` what each recipient's next attempts do::

    SCRIPT.plan("ann@example.org", "451", "ok")   # a 4xx, then accepted
    SCRIPT.fail_opens = 2                        # the next two open() calls fail
    SCRIPT.crash_after = 3                       # the worker "dies" after 3 accepted messages

Every message accepted is kept in ``SCRIPT.accepted`` (and the addresses in
``SCRIPT.addresses()``). A recipient without a plan is accepted.
"""

from __future__ import annotations

import smtplib
from collections import Counter, defaultdict, deque

import pytest
from django.core.mail.backends.base import BaseEmailBackend

from tests.contacts.test_campaign_audience import make_campaign
from tests.sending.conftest import approve
from wagtail_distmark.contacts.campaign_audience import choose_audience
from wagtail_distmark.sending import dispatch, ratelimit
from wagtail_distmark.sending.models import Delivery, Send


class WorkerDied(BaseException):
    """A worker killed in the middle of a batch (not an ``Exception``: nothing catches it)."""


def refused(code: int, text: str, address: str) -> smtplib.SMTPRecipientsRefused:
    return smtplib.SMTPRecipientsRefused({address: (code, text.encode())})


#: What a planned step raises (``"ok"`` accepts).
ERRORS = {
    "451": lambda to: refused(451, "4.3.0 Try again later", to),
    "421": lambda to: refused(421, "4.7.0 Too busy", to),
    "554": lambda to: refused(554, "5.7.1 Message refused by policy", to),
    "550": lambda to: refused(550, "5.1.1 No such user", to),
    "data": lambda to: smtplib.SMTPDataError(552, b"5.3.4 Message too big"),
    "data4xx": lambda to: smtplib.SMTPDataError(452, b"4.3.1 Insufficient storage"),
    "disconnect": lambda to: smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
    "sender": lambda to: smtplib.SMTPSenderRefused(
        550, b"5.7.1 Sender not allowed", "news@maison-lumiere.example"
    ),
}


class Script:
    """What the backend does next, per recipient, and what it accepted."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.plans: dict[str, deque] = defaultdict(deque)
        self.accepted: list = []
        self.attempts: Counter = Counter()
        self.fail_opens = 0
        self.opens = 0
        self.crash_after: int | None = None
        #: Called with each address before its message is tried (to act mid-batch).
        self.on_send = None

    def plan(self, address: str, *steps: str) -> None:
        self.plans[address].extend(steps)

    def addresses(self) -> list[str]:
        return [message.to[0] for message in self.accepted]

    def next_step(self, address: str) -> str:
        plan = self.plans.get(address)
        return plan.popleft() if plan else "ok"


SCRIPT = Script()


class ScriptedBackend(BaseEmailBackend):
    """Sends nothing; does what :data:`SCRIPT` says for each recipient."""

    def open(self):
        SCRIPT.opens += 1
        if SCRIPT.fail_opens:
            SCRIPT.fail_opens -= 1
            raise ConnectionRefusedError(111, "Connection refused")
        return True

    def close(self):
        return None

    def send_messages(self, email_messages):
        for message in email_messages:
            self.send_one(message)
        return len(email_messages)

    def send_one(self, message) -> None:
        if SCRIPT.crash_after is not None and len(SCRIPT.accepted) >= SCRIPT.crash_after:
            SCRIPT.crash_after = None
            raise WorkerDied("SIGKILL")
        address = message.to[0]
        if SCRIPT.on_send is not None:
            SCRIPT.on_send(address)
        SCRIPT.attempts[address] += 1
        step = SCRIPT.next_step(address)
        if step != "ok":
            raise ERRORS[step](address)
        SCRIPT.accepted.append(message)


# Fixtures and helpers shared by the sending tests (import them into a test module).

BACKEND = "tests.sending.backends.ScriptedBackend"


@pytest.fixture
def scripted(settings):
    """Campaigns go through :class:`ScriptedBackend`; retries are due at once; no limits."""
    settings.WAGTAIL_DISTMARK_EMAIL_BACKEND = BACKEND
    settings.WAGTAIL_DISTMARK_SEND_RETRY_DELAY = 0.001
    settings.WAGTAIL_DISTMARK_SEND_RETRY_MAX_DELAY = 0.01
    settings.WAGTAIL_DISTMARK_RATE_LIMIT_STORAGE = "memory://"
    reset_limits()
    SCRIPT.reset()
    yield SCRIPT
    SCRIPT.reset()
    reset_limits()


def reset_limits() -> None:
    ratelimit.limiter("memory://").storage.reset()


def add_people(sending, count: int, unit_key: str = "a") -> list:
    """``count`` subscribed contacts of the unit, p0@example.org …"""
    return [sending.add_contact(unit_key, f"p{i}@example.org", f"P{i}") for i in range(count)]


def another_campaign(sending):
    """A second approved campaign of Store A, to the same audience."""
    campaign = make_campaign(sending.campaign_a.template, sending.net.units["a"],
                             sending.net.users["editor_a"])  # fmt: skip
    choose_audience(campaign, sending.audience_a)
    return approve(sending.net, campaign)


def started_send(sending, user_key: str = "manager_a", campaign=None) -> Send:
    """The campaign's send, created and started (its rows created), not yet driven."""
    campaign = campaign or sending.campaign_a
    send = dispatch.create_send(campaign, sending.net.users[user_key])
    assert dispatch.start(send.pk)
    send.refresh_from_db()
    return send


def drive_to_end(send: Send, seconds: float = 30) -> Send:
    assert dispatch.drive(send.pk, seconds=seconds).done
    send.refresh_from_db()
    return send


def states(send: Send) -> dict:
    """Each recipient's address and the state (and reason) of their delivery."""
    rows = Delivery.objects.filter(send=send).select_related("contact")
    return {row.contact.email: (row.state, row.reason) for row in rows}
