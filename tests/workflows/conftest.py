import celery
import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from wagtail.models import Workflow, WorkflowContentType, WorkflowTask

from tests.campaigns.test_admin import edit_form_data, snippet_url, start
from wagtail_distmark.models import LocalCampaign
from wagtail_distmark.workflows.models import OrgApprovalTask


@pytest.fixture
def eager_celery():
    """Run the Celery tasks in the test (CI may point the app at a real broker)."""
    conf = celery.current_app.conf
    previous = conf.task_always_eager
    conf.task_always_eager = True
    yield
    conf.task_always_eager = previous


def make_workflow(*steps) -> Workflow:
    workflow = Workflow.objects.create(name="Local campaign approval")
    for order, (name, approver, when) in enumerate(steps):
        task = OrgApprovalTask.objects.create(
            name=name, approver=approver, when=when, deadline_hours=48
        )
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=order)
    WorkflowContentType.objects.create(
        workflow=workflow, content_type=ContentType.objects.get_for_model(LocalCampaign)
    )
    return workflow


@pytest.fixture
def workflow(db):
    return make_workflow(
        ("Store manager approval", "unit_manager", "always"),
        ("Regional approval", "regional_manager", "template_asks"),
    )


def campaign_of(net, client_for, brand_template, username="editor_a", unit="a", name=None):
    name = name or f"Autumn at {unit}"
    start(client_for(net.users[username]), brand_template, net.units[unit], name=name)
    return LocalCampaign.objects.get(name=name)


@pytest.fixture
def campaign(net, client_for, brand_template, workflow):
    return campaign_of(net, client_for, brand_template)


def submit(client, campaign, **fields):
    data = {**edit_form_data(campaign), "action-submit": "1", **fields}
    return client.post(snippet_url("edit", campaign.pk), data)


def act(client, campaign, action, comment=""):
    state = campaign.current_workflow_task_state
    url = reverse(
        "wagtailsnippets_wagtail_distmark_localcampaign:workflow_action",
        args=[campaign.pk, action, state.pk],
    )
    return client.post(url, {"comment": comment} if comment else {})
