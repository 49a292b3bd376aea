"""Contacts scoped by unit: the customer base, consent, suppression, audiences, import/export."""
