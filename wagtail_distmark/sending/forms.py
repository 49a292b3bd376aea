"""The forms of the sending screens: "Send now" or "Schedule" a campaign.

Posted text is bounded before it is parsed (DESIGN invariant 8): a date longer than
:data:`MAX_DATE_LENGTH` or holding a control character is an error on the field, never a
500.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.widgets import AdminDateTimeInput

#: The longest date and time a user may post (any format Django reads is far shorter).
MAX_DATE_LENGTH = 40

#: How far ahead a send may be scheduled.
MAX_AHEAD = timedelta(days=366)

NOW = "now"
SCHEDULE = "schedule"


class BoundedDateTimeField(forms.DateTimeField):
    """A date and time read only from short, printable text."""

    def to_python(self, value):
        if isinstance(value, str) and (
            len(value) > MAX_DATE_LENGTH or any(ord(ch) < 32 for ch in value)
        ):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class SendForm(forms.Form):
    """Send now (``action=now``) or at a time in the future (``action=schedule``)."""

    action = forms.ChoiceField(
        choices=[(NOW, _("Send now")), (SCHEDULE, _("Schedule"))],
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("Choose “Send now” or “Schedule”.")},
    )
    scheduled_at = BoundedDateTimeField(
        label=_("Send at"),
        required=False,
        # The error box (campaign_send.html) and the help text describe the field, so a
        # screen reader reads why a time was refused (Wagtail ties the help text only).
        widget=AdminDateTimeInput(
            attrs={"aria-describedby": "id_scheduled_at-helptext id_scheduled_at-errors"}
        ),
        help_text=_("A date and time in the future, in your time zone, for “Schedule”."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") != SCHEDULE:
            self._errors.pop("scheduled_at", None)  # "Send now" ignores the time field
            cleaned["scheduled_at"] = None
            return cleaned
        at = cleaned.get("scheduled_at")
        if at is None:
            if "scheduled_at" not in self.errors:
                self.add_error("scheduled_at", _("Choose when to send it."))
            return cleaned
        try:
            if timezone.is_naive(at):  # USE_TZ off: take it in the current time zone
                at = timezone.make_aware(at)
            now = timezone.now()
            if at <= now:
                self.add_error("scheduled_at", _("Choose a time in the future."))
            elif at > now + MAX_AHEAD:
                self.add_error("scheduled_at", _("Choose a time within a year."))
        except (OverflowError, ValueError):  # year 1 or 9999 moved to UTC
            self.add_error("scheduled_at", self.fields["scheduled_at"].error_messages["invalid"])
        cleaned["scheduled_at"] = at
        return cleaned

    @property
    def when(self):
        """The time chosen (``None``: now)."""
        return self.cleaned_data.get("scheduled_at")
