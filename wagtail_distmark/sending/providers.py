"""Providers (ESPs) through django-anymail: a whole batch in one API call, and the provider's
events (delivered, bounced, complained …) back onto deliveries.

TODO(anymail helper): ``deliver_batch`` with ``merge_data`` / ``merge_headers``; the
``anymail.signals.tracking`` receiver.
"""


def deliver_batch(send, rows, result) -> None:
    raise NotImplementedError
