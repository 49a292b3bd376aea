"""Countries, currencies and prices as a unit's readers expect them (CLDR data, via Babel).

No model imports: blocks, models and admin views all format prices through this module.
"""

from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_territory_currencies

from wagtail_distmark import conf

#: Two-letter CLDR territories that are not countries (EU, UN, pseudo-locales, unknown).
NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"}


def country_names(language: str = "en") -> dict[str, str]:
    """ISO 3166-1 alpha-2 codes and their names in ``language`` (CLDR data, via Babel)."""
    territories = Locale.parse(babel_locale(language)).territories
    return {
        code: name
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    }


def country_currency(country: str) -> str:
    """The currency in use in a country (ISO 3166 code), or ``""`` if unknown."""
    currencies = get_territory_currencies(country) if country else []
    return currencies[0] if currencies else ""


@lru_cache(maxsize=256)
def babel_locale(tag: str) -> str:
    """A language tag such as 'fr-CA' as Babel spells it ('fr_CA'), falling back to English."""
    try:
        return str(Locale.parse(tag or "en", sep="-"))
    except (ValueError, UnknownLocaleError):
        return "en"


def format_price(amount, currency: str, locale: str) -> str:
    """A price as a reader of ``locale`` expects it: 'en-GB' and GBP give '£34.00',
    'fr' and EUR give '34,00 €'. The one place the plugin formats money."""
    return formatted_price(amount, currency or conf.get_default_currency(), babel_locale(locale))


@lru_cache(maxsize=1024)
def formatted_price(amount, currency: str, locale: str) -> str:
    """Babel's formatting, kept: each e-mail compile shows the same few prices again."""
    return format_currency(amount, currency, locale=locale)
