"""Sending on Celery: sends, deliveries, fan-out, rate limits, unsubscribe, tracking, bounces.

The layer above contacts (pyproject's import-linter contract). docs/explanation/sending.md
explains the guarantee; docs/how-to/send-a-campaign.md the screens and commands.
"""
