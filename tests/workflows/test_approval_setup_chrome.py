"""The approval setup screen has Wagtail 8's header (issue 10)."""

import pytest

from tests.admin_html import breadcrumbs, has_slim_header

pytestmark = pytest.mark.django_db


def test_approval_setup_has_wagtails_header(net, client_for, workflow):
    html = client_for(net.users["hq"]).get("/admin/distmark/approval-setup/").content.decode()
    assert has_slim_header(html)
    assert breadcrumbs(html) == [("Home", "/admin/"), ("Campaign approval", None)]
