"""Approval e-mails leave through Celery, after the submission is committed."""

import os
import time

import celery
import pytest
from django.core import mail

from tests.workflows.conftest import submit

pytestmark = pytest.mark.django_db


def test_the_request_only_queues_the_mail(net, client_for, campaign, eager_celery,
                                          django_capture_on_commit_callbacks):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert submit(client_for(net.users["editor_a"]), campaign).status_code == 302
    assert mail.outbox == []  # nothing sent inside the request
    for callback in callbacks:  # what the commit then runs: the Celery task
        callback()
    assert [m.to for m in mail.outbox] == [["manager_a@example.com"]]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the flush of an earlier
# transactional test took the migrations' rows (root collection …); this restores them
@pytest.mark.skipif(not os.environ.get("CELERY_BROKER_URL"), reason="needs a Celery broker")
def test_a_real_worker_sends_the_approval_mail(net, client_for, brand_template, workflow):
    """Through the broker CI provides (Redis), a worker thread, and the committed database."""
    from celery.contrib.testing.worker import start_worker

    from tests.workflows.conftest import campaign_of

    campaign = campaign_of(net, client_for, brand_template)
    app = celery.current_app
    assert not app.conf.task_always_eager
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        submit(client_for(net.users["editor_a"]), campaign)
        deadline = time.monotonic() + 20
        while not mail.outbox and time.monotonic() < deadline:
            time.sleep(0.1)
    assert [m.to for m in mail.outbox] == [["manager_a@example.com"]]
