"""The French catalogue: complete, and shown in the admin to a user who prefers French."""

import ast
import html as html_lib
from pathlib import Path

import pytest
from django.urls import reverse
from wagtail.users.models import UserProfile

import wagtail_distmark

PO_FILE = Path(wagtail_distmark.__file__).parent / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def po_entries(path):
    """(msgid, msgstrs, flags) for each entry of a .po file, header included."""
    entries, current, field, flags = [], None, None, []

    def finish():
        if current is not None:
            entries.append((current["msgid"], current["msgstr"], flags))

    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("#,"):
            flags = flags + [flag.strip() for flag in line[2:].split(",")]
        elif line.startswith("msgid "):
            finish()
            current = {"msgid": "", "msgstr": {}}
            field, line = "msgid", line[len("msgid ") :]
        elif line.startswith("msgid_plural "):
            field, line = "msgid_plural", line[len("msgid_plural ") :]
        elif line.startswith("msgstr"):
            key, line = line.split(" ", 1)
            field = key
            current["msgstr"][field] = ""
        elif not line.startswith('"'):
            if not line:
                finish()
                current, field, flags = None, None, []
            continue
        if field == "msgid":
            current["msgid"] += ast.literal_eval(line)
        elif field and field.startswith("msgstr"):
            current["msgstr"][field] += ast.literal_eval(line)
    finish()
    return entries


def test_french_catalogue_is_complete_and_not_fuzzy():
    entries = po_entries(PO_FILE)
    header = next(strs for msgid, strs, _flags in entries if msgid == "")
    assert "Language: fr" in header["msgstr"]
    assert "Plural-Forms: nplurals=2; plural=(n > 1);" in header["msgstr"]
    messages = [(msgid, strs, flags) for msgid, strs, flags in entries if msgid]
    assert len(messages) > 100
    untranslated = [msgid for msgid, strs, _f in messages if not all(strs.values())]
    assert untranslated == []
    assert [msgid for msgid, _s, flags in entries if "fuzzy" in flags] == []


@pytest.mark.django_db
def test_inspect_page_is_in_french_for_a_user_who_prefers_french(net, client_for):
    user = net.users["manager_a"]
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "fr"
    profile.save()

    url = reverse("distmark_network_modeladmin_inspect", args=[net.units["a"].pk])
    response = client_for(user).get(url)
    html = response.content.decode()

    assert response.status_code == 200
    assert ">Membres</h2>" in html
    assert ">Sous-unités</h2>" in html
    assert "Responsable d'unité" in html_lib.unescape(html)  # manager_a's role, from the model
    assert ">Members</h2>" not in html
    assert ">Sub-units</h2>" not in html


@pytest.mark.django_db
def test_inspect_page_stays_in_english_by_default(net, client_for):
    url = reverse("distmark_network_modeladmin_inspect", args=[net.units["a"].pk])
    html = client_for(net.users["manager_a"]).get(url).content.decode()

    assert ">Members</h2>" in html
    assert ">Membres</h2>" not in html
