"""The French, German and Dutch catalogues: complete, faithful, compiled, and shown in the admin."""

import ast
import gettext
import html as html_lib
import re
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from wagtail.users.models import UserProfile

import wagtail_distmark

PACKAGE_DIR = Path(wagtail_distmark.__file__).parent
LOCALE_DIR = PACKAGE_DIR / "locale"
PLURAL_FORMS = {
    "fr": "nplurals=2; plural=(n > 1);",
    "de": "nplurals=2; plural=(n != 1);",
    "nl": "nplurals=2; plural=(n != 1);",
}
LANGUAGES = sorted(PLURAL_FORMS)
# %(name)s, %s, merge tags and template code: what the code and the e-mail compiler fill in.
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}")


def catalogue(language, locale_dir=LOCALE_DIR):
    return locale_dir / language / "LC_MESSAGES" / "django.po"


def po_entries(path):
    """One dict per entry of a .po file, header included: msgid, msgid_plural, msgstr, flags."""
    entries, current, field = [], None, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = line.strip()
        if not line:
            if current is not None and "msgid" in current:
                entries.append(current)
            current, field = None, None
            continue
        current = current if current is not None else {"flags": [], "msgstr": {}}
        if line.startswith("#,"):
            current["flags"] += [flag.strip() for flag in line[2:].split(",")]
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            _append(current, field, ast.literal_eval(line))
        else:
            field, value = line.split(" ", 1)
            _append(current, field, ast.literal_eval(value), start=True)
    return entries


def _append(entry, field, text, start=False):
    if field.startswith("msgstr"):
        entry["msgstr"][field] = ("" if start else entry["msgstr"][field]) + text
    else:
        entry[field] = ("" if start else entry[field]) + text


def messages(language, locale_dir=LOCALE_DIR):
    return [entry for entry in po_entries(catalogue(language, locale_dir)) if entry["msgid"]]


def message_ids(entries):
    return {(entry["msgid"], entry.get("msgid_plural")) for entry in entries}


def placeholders(text):
    return sorted(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_complete_and_not_fuzzy(language):
    entries = po_entries(catalogue(language))
    header = next(entry for entry in entries if entry["msgid"] == "")
    assert f"Language: {language}\n" in header["msgstr"]["msgstr"]
    assert f"Plural-Forms: {PLURAL_FORMS[language]}\n" in header["msgstr"]["msgstr"]
    assert len(entries) > 100
    assert [entry["msgid"] for entry in entries if "fuzzy" in entry["flags"]] == []
    untranslated = [e["msgid"] for e in entries[1:] if not all(e["msgstr"].values())]
    assert untranslated == []
    assert all(len(e["msgstr"]) == 2 for e in entries if "msgid_plural" in e)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_placeholder_is_kept(language):
    changed = []
    for entry in messages(language):
        if "msgid_plural" in entry:
            plural = entry["msgstr"]["msgstr[1]"]
            singular = entry["msgstr"]["msgstr[0]"]
            kept = placeholders(plural) == placeholders(entry["msgid_plural"])
            # One-item forms may spell the number out ("within the next day").
            kept = kept and set(placeholders(singular)) <= set(placeholders(entry["msgid_plural"]))
        else:
            kept = placeholders(entry["msgstr"]["msgstr"]) == placeholders(entry["msgid"])
        if not kept:
            changed.append((entry["msgid"], entry["msgstr"]))
    assert changed == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_languages_share_one_set_of_messages(language):
    """`make messages` updates every language at once: none lags behind the French one."""
    assert message_ids(messages(language)) == message_ids(messages("fr"))


@pytest.mark.skipif(not shutil.which("msgmerge"), reason="makemessages needs GNU gettext")
def test_catalogues_hold_every_string_of_the_code(tmp_path, monkeypatch):
    """A string added to the code without `make messages` fails here, not in front of a user."""
    copy = tmp_path / "wagtail_distmark"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    monkeypatch.chdir(copy)  # as `make messages` does
    call_command("makemessages", locale=["fr"], no_obsolete=True, verbosity=0)

    fresh = message_ids(messages("fr", copy / "locale"))
    committed = message_ids(messages("fr"))
    hint = "Run `make messages`, translate the new entries (FR, DE, NL), commit the catalogues."
    assert fresh - committed == set(), hint  # strings the catalogues lack
    assert committed - fresh == set(), hint  # strings the code no longer has


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_its_source(language):
    """The committed .mo is what `make messages` compiles from the .po (none forgotten)."""
    mo_path = catalogue(language).with_suffix(".mo")
    with mo_path.open("rb") as mo_file:
        compiled = gettext.GNUTranslations(mo_file)
    for entry in messages(language):
        if "msgid_plural" in entry:
            got = compiled.ngettext(entry["msgid"], entry["msgid_plural"], 2)
            assert got == entry["msgstr"]["msgstr[1]"], entry["msgid"]
        elif "msgctxt" in entry:  # "Send" the noun and "Send" the verb
            got = compiled.pgettext(entry["msgctxt"], entry["msgid"])
            assert got == entry["msgstr"]["msgstr"], (entry["msgctxt"], entry["msgid"])
        else:
            assert compiled.gettext(entry["msgid"]) == entry["msgstr"]["msgstr"], entry["msgid"]


INSPECT_PAGE = {
    "fr": ("Membres", "Sous-unités", "Responsable d'unité"),
    "de": ("Mitglieder", "Untereinheiten", "Leiter der Einheit"),
    "nl": ("Leden", "Subeenheden", "Manager van de eenheid"),
}


def inspect_page(net, client_for, language=None):
    user = net.users["manager_a"]
    if language:
        profile = UserProfile.get_for_user(user)
        profile.preferred_language = language
        profile.save()
    url = reverse("distmark_network_modeladmin_inspect", args=[net.units["a"].pk])
    return client_for(user).get(url)


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_inspect_page_is_in_the_language_the_user_prefers(net, client_for, language):
    response = inspect_page(net, client_for, language)
    html = html_lib.unescape(response.content.decode())

    members, sub_units, unit_manager = INSPECT_PAGE[language]
    assert response.status_code == 200
    assert f">{members}</h2>" in html  # from the template
    assert f">{sub_units}</h2>" in html
    assert unit_manager in html  # manager_a's role, from the model
    assert ">Members</h2>" not in html
    assert ">Sub-units</h2>" not in html
    assert "Unit manager" not in html


@pytest.mark.django_db
def test_inspect_page_stays_in_english_by_default(net, client_for):
    html = inspect_page(net, client_for).content.decode()

    assert ">Members</h2>" in html
    assert ">Sub-units</h2>" in html
    for members, _sub_units, _role in INSPECT_PAGE.values():
        assert f">{members}</h2>" not in html
