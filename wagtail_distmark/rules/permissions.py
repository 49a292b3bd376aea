"""Registration of the named permissions with django-rules.

A site overrides a rule with ``rules.set_perm(name, predicate)`` in its own
``AppConfig.ready()`` (its app listed after ``wagtail_distmark``), or registers its own
predicate under the same name before this app is ready: an existing rule is kept.
"""

import rules

from wagtail_distmark.rules import predicates as p

PERMISSIONS = {
    "wagtail_distmark.view_orgunit": p.can_view_orgunit,
    "wagtail_distmark.change_orgunit": p.can_change_orgunit,
    # Which of the changes: every field, not only the locally editable ones.
    "wagtail_distmark.change_orgunit_structure": p.can_change_orgunit_structure,
    "wagtail_distmark.add_orgunit": p.can_add_child_orgunit,
    "wagtail_distmark.move_orgunit": p.can_move_orgunit,
    "wagtail_distmark.delete_orgunit": p.can_delete_orgunit,
    "wagtail_distmark.manage_members": p.can_manage_members,
    # The object is a (unit, role) pair: may the user give that role on that unit?
    "wagtail_distmark.grant_role": p.can_grant_role,
    "wagtail_distmark.delete_membership": p.can_remove_membership,
    # The object is an existing user account to give a role to.
    "wagtail_distmark.attach_user": p.can_attach_account,
    # Local campaigns: the object is a campaign, or the unit to create one for.
    "wagtail_distmark.view_localcampaign": p.can_view_campaign,
    "wagtail_distmark.add_localcampaign": p.can_add_campaign,
    "wagtail_distmark.change_localcampaign": p.can_change_campaign,
    "wagtail_distmark.delete_localcampaign": p.can_delete_campaign,
    # Wagtail publishes the approved revision when a workflow ends, as whoever acted last
    # (an approver, or the submitter on the fast lane), so every member may publish. The
    # editor shows no Publish button for campaigns, and a campaign is ready to send only if
    # its workflow approved its live revision (LocalCampaign.sending_readiness()).
    "wagtail_distmark.publish_localcampaign": p.can_view_campaign,
    # Unpublishing withdraws an approved campaign: HQ's decision, never once it was sent.
    "wagtail_distmark.unpublish_localcampaign": p.can_unpublish_campaign,
    # A copy is a new draft of the campaign's unit (campaigns/copying.py).
    "wagtail_distmark.copy_localcampaign": p.can_copy_campaign,
    # Brand templates and banned words: HQ's.
    "wagtail_distmark.view_brandtemplate": p.can_manage_templates,
    "wagtail_distmark.add_brandtemplate": p.can_manage_templates,
    "wagtail_distmark.change_brandtemplate": p.can_manage_templates,
    "wagtail_distmark.delete_brandtemplate": p.can_manage_templates,
    "wagtail_distmark.publish_brandtemplate": p.can_manage_templates,
    "wagtail_distmark.unpublish_brandtemplate": p.can_manage_templates,
    "wagtail_distmark.lock_brandtemplate": p.can_manage_templates,
    "wagtail_distmark.unlock_brandtemplate": p.can_manage_templates,
    "wagtail_distmark.use_brandtemplate": p.can_use_template,
    "wagtail_distmark.view_bannedword": p.can_manage_templates,
    "wagtail_distmark.add_bannedword": p.can_manage_templates,
    "wagtail_distmark.change_bannedword": p.can_manage_templates,
    "wagtail_distmark.delete_bannedword": p.can_manage_templates,
    # The content library: the object is a collection (see library/access.py).
    "wagtail_distmark.choose_from_collection": p.can_choose_in_collection,
    "wagtail_distmark.add_to_collection": p.can_add_to_collection,
    "wagtail_distmark.change_in_collection": p.can_change_in_collection,
    # The brand library: HQ adds, renames and sets audiences; deleting (a collection with
    # its files) stays in Wagtail's Collections screen.
    "wagtail_distmark.view_brandcollection": p.can_manage_templates,
    "wagtail_distmark.change_brandcollection": p.can_manage_templates,
    "wagtail_distmark.add_brandcollection": p.can_manage_templates,
    "wagtail_distmark.delete_brandcollection": rules.always_deny,
    "wagtail_distmark.view_library_report": p.can_manage_templates,
    # How campaigns are approved (a read-only page; editing stays in Settings → Workflows).
    "wagtail_distmark.view_approval_setup": p.can_manage_templates,
    # The product catalogue: HQ's; members see the products sold in their scope.
    "wagtail_distmark.view_product": p.can_view_product,
    "wagtail_distmark.view_productavailability": p.can_view_availability,
    "wagtail_distmark.add_product": p.can_manage_templates,
    "wagtail_distmark.change_product": p.can_manage_templates,
    "wagtail_distmark.delete_product": p.can_manage_templates,
    "wagtail_distmark.add_productavailability": p.can_manage_templates,
    "wagtail_distmark.change_productavailability": p.can_manage_templates,
    "wagtail_distmark.delete_productavailability": p.can_manage_templates,
    # Workflow approval: the object is an in-progress task state; it is judged by the
    # campaign it belongs to, never by the one a URL names. Overriding is acting without
    # being a routed approver (HQ above the campaign's unit); the action is logged.
    "wagtail_distmark.moderate_taskstate": p.can_moderate_task_state,
    "wagtail_distmark.override_taskstate": p.can_override_approval,
    # Members reach the Wagtail admin through their membership, not through a group.
    "wagtailadmin.access_admin": p.can_access_admin,
}


def register_rules() -> None:
    for name, predicate in PERMISSIONS.items():
        if not rules.perm_exists(name):
            rules.add_perm(name, predicate)
