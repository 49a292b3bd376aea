"""Registration of the named permissions with django-rules: the one table of every name.

The predicates live in one module per feature (``org``, ``library``, ``catalogue``,
``campaigns``, ``workflows``); this module is the glue above them all.

A site overrides a rule with ``rules.set_perm(name, predicate)`` in its own
``AppConfig.ready()`` (its app listed after ``wagtail_distmark``), or registers its own
predicate under the same name before this app is ready: an existing rule is kept.
"""

import rules

from wagtail_distmark.rules import campaigns, catalogue, contacts, library, org, sending, workflows

PERMISSIONS = {
    "wagtail_distmark.view_orgunit": org.can_view_orgunit,
    "wagtail_distmark.change_orgunit": org.can_change_orgunit,
    # Which of the changes: every field, not only the locally editable ones.
    "wagtail_distmark.change_orgunit_structure": org.can_change_orgunit_structure,
    "wagtail_distmark.add_orgunit": org.can_add_child_orgunit,
    "wagtail_distmark.move_orgunit": org.can_move_orgunit,
    "wagtail_distmark.delete_orgunit": org.can_delete_orgunit,
    "wagtail_distmark.manage_members": org.can_manage_members,
    # The object is a (unit, role) pair: may the user give that role on that unit?
    "wagtail_distmark.grant_role": org.can_grant_role,
    "wagtail_distmark.delete_membership": org.can_remove_membership,
    # The object is an existing user account to give a role to.
    "wagtail_distmark.attach_user": org.can_attach_account,
    # Local campaigns: the object is a campaign, or the unit to create one for.
    "wagtail_distmark.view_localcampaign": campaigns.can_view_campaign,
    "wagtail_distmark.add_localcampaign": campaigns.can_add_campaign,
    "wagtail_distmark.change_localcampaign": campaigns.can_change_campaign,
    "wagtail_distmark.delete_localcampaign": campaigns.can_delete_campaign,
    # Wagtail publishes the approved revision when a workflow ends, as whoever acted last
    # (an approver, or the submitter on the fast lane), so every member may publish. The
    # editor shows no Publish button for campaigns, and a campaign is ready to send only if
    # its workflow approved its live revision (LocalCampaign.sending_readiness()).
    "wagtail_distmark.publish_localcampaign": campaigns.can_view_campaign,
    # Unpublishing withdraws an approved campaign: HQ's decision, never once it was sent.
    "wagtail_distmark.unpublish_localcampaign": campaigns.can_unpublish_campaign,
    # A copy is a new draft of the campaign's unit (campaigns/copying.py).
    "wagtail_distmark.copy_localcampaign": campaigns.can_copy_campaign,
    # Brand templates and banned words: HQ's.
    "wagtail_distmark.view_brandtemplate": campaigns.can_manage_templates,
    "wagtail_distmark.add_brandtemplate": campaigns.can_manage_templates,
    "wagtail_distmark.change_brandtemplate": campaigns.can_manage_templates,
    "wagtail_distmark.delete_brandtemplate": campaigns.can_manage_templates,
    "wagtail_distmark.publish_brandtemplate": campaigns.can_manage_templates,
    "wagtail_distmark.unpublish_brandtemplate": campaigns.can_manage_templates,
    "wagtail_distmark.lock_brandtemplate": campaigns.can_manage_templates,
    "wagtail_distmark.unlock_brandtemplate": campaigns.can_manage_templates,
    "wagtail_distmark.use_brandtemplate": campaigns.can_use_template,
    "wagtail_distmark.view_bannedword": campaigns.can_manage_templates,
    "wagtail_distmark.add_bannedword": campaigns.can_manage_templates,
    "wagtail_distmark.change_bannedword": campaigns.can_manage_templates,
    "wagtail_distmark.delete_bannedword": campaigns.can_manage_templates,
    # The content library: the object is a collection (see rules/library.py).
    "wagtail_distmark.choose_from_collection": library.can_choose_in_collection,
    "wagtail_distmark.add_to_collection": library.can_add_to_collection,
    "wagtail_distmark.change_in_collection": library.can_change_in_collection,
    # The brand library: HQ adds, renames and sets audiences; deleting (a collection with
    # its files) stays in Wagtail's Collections screen.
    "wagtail_distmark.view_brandcollection": library.can_manage_brand_library,
    "wagtail_distmark.change_brandcollection": library.can_manage_brand_library,
    "wagtail_distmark.add_brandcollection": library.can_manage_brand_library,
    "wagtail_distmark.delete_brandcollection": rules.always_deny,
    "wagtail_distmark.view_library_report": library.can_manage_brand_library,
    # How campaigns are approved (a read-only page; editing stays in Settings → Workflows).
    "wagtail_distmark.view_approval_setup": workflows.can_view_approval_setup,
    # The product catalogue: HQ's; members see the products sold in their scope.
    "wagtail_distmark.view_product": catalogue.can_view_product,
    "wagtail_distmark.view_productavailability": catalogue.can_view_availability,
    "wagtail_distmark.add_product": catalogue.can_manage_catalogue,
    "wagtail_distmark.change_product": catalogue.can_manage_catalogue,
    "wagtail_distmark.delete_product": catalogue.can_manage_catalogue,
    "wagtail_distmark.add_productavailability": catalogue.can_manage_catalogue,
    "wagtail_distmark.change_productavailability": catalogue.can_manage_catalogue,
    "wagtail_distmark.delete_productavailability": catalogue.can_manage_catalogue,
    # Workflow approval: the object is an in-progress task state; it is judged by the
    # campaign it belongs to, never by the one a URL names. Approving is being a routed
    # approver; overriding is acting without being one (HQ above the campaign's unit), and
    # the action is logged. Moderating (acting now) asks those two rules by name.
    workflows.APPROVE: workflows.can_approve_as_routed,
    workflows.OVERRIDE: workflows.can_override_approval,
    workflows.MODERATE: workflows.can_moderate_task_state,
    # Contacts: the object is a contact (or, to add, import or export, the unit).
    "wagtail_distmark.view_contact": contacts.can_view_contact,
    "wagtail_distmark.add_contact": contacts.can_add_contact,
    "wagtail_distmark.change_contact": contacts.can_change_contact,
    # Contacts are erased (personal fields wiped, suppression kept), never deleted.
    "wagtail_distmark.delete_contact": rules.always_deny,
    "wagtail_distmark.erase_contact": contacts.can_erase_contact,
    # An explicit re-consent of someone who unsubscribed (with its evidence).
    "wagtail_distmark.reconsent_contact": contacts.can_reconsent_contact,
    "wagtail_distmark.export_contact": contacts.can_export_for_unit,
    "wagtail_distmark.import_contact": contacts.can_import_for_unit,
    "wagtail_distmark.request_contact_access": contacts.can_request_access,
    # Imports and exports: whoever started one (HQ: every one).
    "wagtail_distmark.view_importjob": contacts.owns_job,
    "wagtail_distmark.view_exportjob": contacts.owns_job,
    # Audiences: a unit's, by its members; HQ's template segments, by HQ.
    "wagtail_distmark.view_audience": contacts.can_view_audience,
    "wagtail_distmark.add_audience": contacts.can_change_audience,
    "wagtail_distmark.change_audience": contacts.can_change_audience,
    "wagtail_distmark.delete_audience": contacts.can_change_audience,
    # HQ's contact set-up.
    **{
        f"wagtail_distmark.{action}_{model}": contacts.can_manage_contact_setup
        for model in (
            "communicationtype",
            "tag",
            "contactattribute",
            "contactfieldpolicy",
            "suppression",
        )
        for action in ("view", "add", "change", "delete")
    },
    # Sending: the object is a campaign (to send it) or a send (to follow it, act on it).
    "wagtail_distmark.send_localcampaign": sending.can_send_campaign,
    "wagtail_distmark.view_send": sending.can_view_send,
    "wagtail_distmark.change_send": sending.can_manage_send,
    # Members reach the Wagtail admin through their membership, not through a group.
    "wagtailadmin.access_admin": org.can_access_admin,
}


def register_rules() -> None:
    for name, predicate in PERMISSIONS.items():
        if not rules.perm_exists(name):
            rules.add_perm(name, predicate)
