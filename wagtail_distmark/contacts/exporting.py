"""Contact export: visible fields only, formula injection neutralised, audited, expiring link.

STUB written by the lead to fix the interface; the export helper replaces the bodies.
"""

from __future__ import annotations


def run_export(job_id: int) -> None:
    """Build the job's file (the user's visible fields, the job's filter)."""
    raise NotImplementedError
