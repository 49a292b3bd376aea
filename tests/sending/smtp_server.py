"""A real SMTP receiver for the sending tests and the benchmark (``aiosmtpd`` on 127.0.0.1).

It runs in a thread of the process that starts it (``aiosmtpd.controller.Controller``), on a
free port, and records every message it accepts: raw bytes (unless ``keep_raw=False``), the
envelope's recipients and the Message-ID. A policy makes it misbehave as a real server does:

- ``defer_every=N``: the N-th, 2N-th … message it sees for the first time (by Message-ID) is
  answered ``451`` at the end of DATA; the same Message-ID is accepted when it comes again
  (a retry);
- ``reject={"x@example.org"}``: RCPT TO those addresses is answered ``reject_reply`` (a 5xx).

Duplicates are counted by Message-ID and by recipient::

    with SMTPReceiver(defer_every=10) as smtp:
        settings.EMAIL_PORT = smtp.port
        ...
        assert smtp.duplicate_recipients() == {}

``python -m tests.sending.smtp_server [--port P] [--no-raw]`` runs one on its own (it prints
its port, and its counts when stopped with Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import argparse
import signal
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import compat32

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"
DEFER_REPLY = "451 4.3.0 Try again later (test receiver)"
REJECT_REPLY = "550 5.1.1 No such user here (test receiver)"


@dataclass(frozen=True)
class Received:
    """One message the receiver accepted."""

    message_id: str
    rcpt: tuple[str, ...]
    mail_from: str
    raw: bytes  # empty when the receiver keeps no raw bytes
    at: float  # time.time() when accepted


@dataclass
class Refusal:
    """One refusal the receiver answered (a 4xx deferral or a 5xx rejection)."""

    reply: str
    message_id: str = ""
    rcpt: tuple[str, ...] = ()
    at: float = field(default_factory=time.time)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def header_message_id(data: bytes) -> str:
    """The Message-ID header of a raw message ("" if none), reading the headers only."""
    head = data.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in data else data.split(b"\n\n", 1)[0]
    headers = BytesHeaderParser(policy=compat32).parsebytes(head + b"\r\n\r\n")
    return (headers.get("Message-ID") or "").strip()


class Handler:
    """aiosmtpd handler: the policy and the records (shared with the receiver object)."""

    def __init__(self, receiver: SMTPReceiver):
        self.receiver = receiver

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        reply = self.receiver.rcpt_reply(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        return self.receiver.data_reply(envelope)


class SMTPReceiver:
    """A threaded SMTP server on 127.0.0.1 that records what it receives (see the module)."""

    def __init__(self, *, port: int = 0, defer_every: int = 0, reject=(),
                 reject_reply: str = REJECT_REPLY, defer_reply: str = DEFER_REPLY,
                 keep_raw: bool = True):  # fmt: skip
        self.host = HOST
        self.port = port or free_port()
        self.defer_every = defer_every
        self.reject = {address.lower() for address in reject}
        self.reject_reply = reject_reply
        self.defer_reply = defer_reply
        self.keep_raw = keep_raw
        self.lock = threading.Lock()
        self.clear()
        self.controller = Controller(
            Handler(self), hostname=self.host, port=self.port, ready_timeout=10,
            data_size_limit=10 * 1024 * 1024,
        )  # fmt: skip

    # Life

    def start(self) -> SMTPReceiver:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> SMTPReceiver:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def clear(self) -> None:
        """Forget every record (the policy stays)."""
        with getattr(self, "lock", threading.Lock()):
            self.messages: list[Received] = []
            self.refusals: list[Refusal] = []
            self.seen_ids: set[str] = set()
            self.new_ids = 0  # Message-IDs seen for the first time, in order

    # The policy (runs in the receiver's thread)

    def rcpt_reply(self, address: str) -> str:
        if address.lower() in self.reject:
            with self.lock:
                self.refusals.append(Refusal(self.reject_reply, rcpt=(address,)))
            return self.reject_reply
        return ""

    def data_reply(self, envelope) -> str:
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        message_id = header_message_id(data)
        rcpt = tuple(envelope.rcpt_tos)
        with self.lock:
            if message_id not in self.seen_ids:
                self.seen_ids.add(message_id)
                self.new_ids += 1
                if self.defer_every and self.new_ids % self.defer_every == 0:
                    self.refusals.append(Refusal(self.defer_reply, message_id, rcpt))
                    return self.defer_reply
            self.messages.append(Received(
                message_id=message_id, rcpt=rcpt, mail_from=envelope.mail_from or "",
                raw=data if self.keep_raw else b"", at=time.time(),
            ))  # fmt: skip
        return "250 Message accepted for delivery"

    # What it received (safe to read from any thread)

    def received(self) -> list[Received]:
        with self.lock:
            return list(self.messages)

    def count(self) -> int:
        with self.lock:
            return len(self.messages)

    def deferred(self) -> list[Refusal]:
        with self.lock:
            return [r for r in self.refusals if r.reply[:1] == "4"]

    def rejected(self) -> list[Refusal]:
        with self.lock:
            return [r for r in self.refusals if r.reply[:1] == "5"]

    def by_message_id(self) -> Counter:
        with self.lock:
            return Counter(message.message_id for message in self.messages)

    def by_recipient(self) -> Counter:
        with self.lock:
            return Counter(rcpt.lower() for message in self.messages for rcpt in message.rcpt)

    def duplicate_message_ids(self) -> dict[str, int]:
        """Message-IDs accepted more than once, with their counts (``{}``: none)."""
        return {key: n for key, n in self.by_message_id().items() if n > 1}

    def duplicate_recipients(self) -> dict[str, int]:
        """Addresses that received more than one message, with their counts."""
        return {key: n for key, n in self.by_recipient().items() if n > 1}

    def first_at(self) -> float | None:
        with self.lock:
            return self.messages[0].at if self.messages else None

    def last_at(self) -> float | None:
        with self.lock:
            return self.messages[-1].at if self.messages else None

    def summary(self) -> str:
        return (
            f"received={self.count()} duplicate_ids={len(self.duplicate_message_ids())} "
            f"duplicate_recipients={len(self.duplicate_recipients())} "
            f"deferred={len(self.deferred())} rejected={len(self.rejected())}"
        )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="A test SMTP receiver on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--defer-every", type=int, default=0)
    parser.add_argument("--reject", action="append", default=[])
    parser.add_argument("--no-raw", action="store_true", help="keep no message bytes")
    args = parser.parse_args(argv)
    receiver = SMTPReceiver(port=args.port, defer_every=args.defer_every, reject=args.reject,
                            keep_raw=not args.no_raw).start()  # fmt: skip
    print(f"listening on {receiver.host}:{receiver.port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    receiver.stop()
    print(receiver.summary(), flush=True)


if __name__ == "__main__":
    main()
