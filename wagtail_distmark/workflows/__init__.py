"""Approval workflows routed through the org tree (an opt-in app: ``wagtail_distmark.workflows``).

A separate app with its own label so that a site which installs only the core app does not get
the task type in Wagtail's workflow editor (``wagtail.workflows.get_task_types()`` lists every
concrete ``Task`` subclass).
"""
