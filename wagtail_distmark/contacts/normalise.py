"""Normalising what people type about a contact: bounded first, then parsed.

Pure functions with no query: the admin forms, the import and every later API call them, so
an address or a phone number means the same thing wherever it was entered.
"""

from __future__ import annotations

import hashlib
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext_lazy as _

#: RFC 5321: the longest address a mail server accepts.
MAX_EMAIL_LENGTH = 254
#: The longest phone number text looked at (E.164 has at most 15 digits; room for spacing).
MAX_PHONE_LENGTH = 40

validate_email = EmailValidator(message=_("Enter a valid e-mail address."))


def normalise_email(raw: str) -> str:
    """The address with its domain lower-cased and in IDNA (ASCII) form; the local part is
    kept as typed (it is case-sensitive by the RFC, and people's mail servers may say so).

    Raises:
        ValidationError: the text is too long or is not an e-mail address.
    """
    text = (raw or "").strip()
    if len(text) > MAX_EMAIL_LENGTH:
        raise ValidationError(
            _("An e-mail address has at most %(max)d characters."),
            code="max_length",
            params={"max": MAX_EMAIL_LENGTH},
        )
    text = unicodedata.normalize("NFC", text)
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        raise ValidationError(_("Enter a valid e-mail address."), code="invalid")
    try:
        domain = domain.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError as error:
        raise ValidationError(
            _("The domain of this address is not valid."), code="invalid"
        ) from error
    address = f"{local}@{domain}"
    validate_email(address)
    return address


def email_hash(address: str) -> str:
    """The key of the suppression list: a SHA-256 of the normalised address, lower-cased
    whole so that ``Ann@x.org`` and ``ann@x.org`` share one suppression."""
    return hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()


def normalise_phone(raw: str, region: str = "") -> str:
    """The number in E.164 (``+33612345678``), read with the contact's or unit's country
    when it has no international prefix; empty text stays empty.

    Raises:
        ValidationError: the text is too long or is not a valid phone number.
    """
    text = (raw or "").strip()
    if not text:
        return ""
    if len(text) > MAX_PHONE_LENGTH:
        raise ValidationError(_("This is too long to be a phone number."), code="max_length")
    try:
        number = phonenumbers.parse(text, (region or "").upper() or None)
    except phonenumbers.NumberParseException as error:
        raise ValidationError(_("This is not a phone number."), code="invalid") from error
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("This is not a valid phone number."), code="invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
