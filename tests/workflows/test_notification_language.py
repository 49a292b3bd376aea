"""Issue 9: notifications in the recipient's language (their Wagtail preference, else the
campaign unit's locale, never the approver's), people by full name, the approver's comment
included, and links on WAGTAILADMIN_BASE_URL."""

import pytest
from django.core import mail
from wagtail.users.models import UserProfile

from tests.workflows.conftest import act, make_workflow, submit
from wagtail_distmark.models import OrgUnit
from wagtail_distmark.workflows.mail import recipient_language

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a request and then what it queued for after its commit (the Celery mail tasks)."""

    def run(request, *args):
        with django_capture_on_commit_callbacks(execute=True):
            return request(*args)

    return run


@pytest.fixture
def french_store(net):
    OrgUnit.objects.filter(pk=net.units["a"].pk).update(locale="fr", timezone="Europe/Paris")
    for username, first, last in [("manager_a", "Claire", "Dubois"),
                                  ("editor_a", "Lucas", "Martin")]:  # fmt: skip
        user = net.users[username]
        user.first_name, user.last_name = first, last
        user.save()


def prefer(user, language):
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()


def mails_to(address):
    return [m for m in mail.outbox if address in m.to]


def test_the_approvers_language_never_leaks_into_the_submitters_mail(
    net, client_for, campaign, french_store, settings, committed
):
    settings.WAGTAILADMIN_BASE_URL = "http://127.0.0.1:8101"
    prefer(net.users["manager_a"], "en")  # the approver works in English
    committed(submit, client_for(net.users["editor_a"]), campaign)
    approval_request = mails_to("manager_a@example.com")[-1]
    assert approval_request.subject.startswith("Approval needed")  # his own language
    assert "Lucas Martin" in approval_request.body  # the submitter by full name
    assert "http://127.0.0.1:8101/admin/" in approval_request.body
    mail.outbox.clear()
    committed(
        act, client_for(net.users["manager_a"]), campaign, "reject", "Utilisez la photo d'automne"
    )
    [outcome] = mails_to("editor_a@example.com")
    assert "a été rejeté" in outcome.body  # the store's language: French
    assert "Hello" not in outcome.body
    assert "Claire Dubois" in outcome.body and "manager_a" not in outcome.body
    assert "Utilisez la photo d'automne" in outcome.body
    assert "http://127.0.0.1:8101/admin/" in outcome.body


def test_a_chosen_language_wins_over_the_units(net, client_for, campaign, french_store, committed):
    prefer(net.users["editor_a"], "en")
    committed(submit, client_for(net.users["editor_a"]), campaign)
    mail.outbox.clear()
    committed(act, client_for(net.users["manager_a"]), campaign, "reject", "Too dark")
    [outcome] = mails_to("editor_a@example.com")
    assert outcome.body.startswith("Hello Lucas")
    assert "Too dark" in outcome.body and "Claire Dubois" in outcome.body


def test_the_approved_mail_names_the_approver_and_quotes_the_comment(
    net, client_for, campaign, french_store, settings, committed
):
    settings.WAGTAILADMIN_BASE_URL = "http://127.0.0.1:8101"
    prefer(net.users["editor_a"], "en")
    committed(submit, client_for(net.users["editor_a"]), campaign)
    mail.outbox.clear()
    committed(
        act, client_for(net.users["manager_a"]), campaign, "approve", "Lovely, send it Friday"
    )
    [outcome] = mails_to("editor_a@example.com")
    assert "approved" in outcome.subject
    assert "by Claire Dubois" in outcome.body
    assert "Lovely, send it Friday" in outcome.body
    assert (
        f"http://127.0.0.1:8101/admin/snippets/wagtail_distmark/localcampaign/edit/{campaign.pk}/"
        in (outcome.body)
    )
    # the approver (who acted) gets no outcome mail, and nobody of another store does
    assert not mails_to("manager_a@example.com") and not mails_to("manager_c@example.com")


def test_step_mail_names_the_approver_and_carries_the_comment(
    net, client_for, brand_template, french_store, committed
):
    from tests.workflows.conftest import campaign_of

    make_workflow(
        ("Store manager approval", "unit_manager", "always"),
        ("Regional approval", "regional_manager", "always"),
    )
    campaign = campaign_of(net, client_for, brand_template)
    prefer(net.users["editor_a"], "en")
    committed(submit, client_for(net.users["editor_a"]), campaign)
    mail.outbox.clear()
    committed(act, client_for(net.users["manager_a"]), campaign, "approve", "Fine by me")
    [step] = mails_to("editor_a@example.com")
    assert "approved by Claire Dubois" in step.body and "Fine by me" in step.body
    assert "manager_a" not in step.body


def test_recipient_language_order(net):
    unit = OrgUnit(locale="fr-CA")
    user = net.users["editor_a"]
    assert recipient_language(user, unit) == "fr"
    assert recipient_language(user, OrgUnit(locale="xx")) == "en"  # not offered: the site's
    prefer(user, "en")
    user.refresh_from_db()
    assert recipient_language(user, unit) == "en"
