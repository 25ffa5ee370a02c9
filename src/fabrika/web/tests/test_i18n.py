"""The French and Russian catalogues: complete, placeholders intact, compiled, and used by the pages.

After `makemessages` adds new strings, the catalogue tests fail until every new msgid is
translated (no empty msgstr, no fuzzy flag) and `compilemessages` has rebuilt the .mo files.
"""

import ast
import gettext
import html
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from fabrika.access.tests.factories import make_user, sign_in

LANGUAGES = ["fr", "ru"]
NPLURALS = {"fr": 2, "ru": 3}

# Renderings other tests and the documentation rely on.
REQUIRED = {
    "Counterparties": {"fr": "Contreparties", "ru": "Контрагенты"},
    "Deals": {"fr": "Affaires", "ru": "Сделки"},
    "Funnel board": {"fr": "Tableau de l'entonnoir", "ru": "Доска воронки"},
    "Sign in": {"fr": "Se connecter", "ru": "Войти"},
    "History": {"fr": "Historique", "ru": "История"},
    "Home": {"fr": "Accueil", "ru": "Главная"},
    "My day": {"fr": "Ma journée", "ru": "Мой день"},
}

PLACEHOLDER = re.compile(r"%\([A-Za-z_]\w*\)[sdifr]|%[sdif]|\{\{.*?\}\}|\{[A-Za-z_]\w*\}")


def po_path(language: str) -> Path:
    return Path(settings.LOCALE_PATHS[0]) / language / "LC_MESSAGES" / "django.po"


def read_po(path: Path) -> list[dict]:
    """Entries of a .po file: msgctxt, msgid, msgid_plural, msgstr {None or index: text}, flags.

    Obsolete entries (#~) are left out. The header (msgid "") is the first entry.
    """
    entries, entry, key = [], None, None

    def finish():
        if entry is not None and "msgid" in entry:
            entries.append(entry)

    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            finish()
            entry, key = None, None
            continue
        if line.startswith("#~"):
            continue
        if entry is None:
            entry = {"flags": set(), "msgstr": {}}
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            text = ast.literal_eval(line)
            if key[0] == "msgstr":
                entry["msgstr"][key[1]] += text
            else:
                entry[key[0]] += text
        else:
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$', line)
            assert match, f"{path}: cannot read {line!r}"
            name, index, text = match.group(1), match.group(2), ast.literal_eval(match.group(3))
            if name == "msgstr":
                key = ("msgstr", int(index) if index is not None else None)
                entry["msgstr"][key[1]] = text
            else:
                key = (name, None)
                entry[name] = text
    finish()
    return entries


def label(entry: dict) -> str:
    context = f"[{entry['msgctxt']}] " if "msgctxt" in entry else ""
    return context + repr(entry["msgid"])


@pytest.fixture(scope="module", params=LANGUAGES)
def catalogue(request):
    language = request.param
    entries = read_po(po_path(language))
    assert entries and entries[0]["msgid"] == "", "the header comes first"
    return language, entries[0], entries[1:]


def test_header_declares_the_language_and_its_plural_forms(catalogue):
    language, header, _entries = catalogue
    text = header["msgstr"][None]
    assert f"Language: {language}\n" in text
    assert f"Plural-Forms: nplurals={NPLURALS[language]};" in text
    assert "charset=UTF-8" in text


def test_every_message_is_translated_and_checked(catalogue):
    language, _header, entries = catalogue
    assert len(entries) > 1000
    fuzzy = [label(e) for e in entries if "fuzzy" in e["flags"]]
    assert fuzzy == [], f"{language}: fuzzy entries left: {fuzzy}"
    untranslated = []
    for e in entries:
        if "msgid_plural" in e:
            forms = [e["msgstr"].get(i, "") for i in range(NPLURALS[language])]
            if not all(forms) or len(e["msgstr"]) != NPLURALS[language]:
                untranslated.append(label(e))
        elif not e["msgstr"].get(None):
            untranslated.append(label(e))
    assert untranslated == [], f"{language}: untranslated entries: {untranslated}"


def test_placeholders_survive_translation(catalogue):
    language, _header, entries = catalogue
    wrong = []
    for e in entries:
        wanted = set(PLACEHOLDER.findall(e["msgid"]))
        if "msgid_plural" in e:
            wanted |= set(PLACEHOLDER.findall(e["msgid_plural"]))
        for index, text in e["msgstr"].items():
            found = set(PLACEHOLDER.findall(text))
            if found != wanted:
                wrong.append(f"{label(e)}[{index}]: {sorted(found)} instead of {sorted(wanted)}")
    assert wrong == [], f"{language}: placeholders differ:\n" + "\n".join(wrong)


def test_html_tags_survive_translation(catalogue):
    language, _header, entries = catalogue
    tags = re.compile(r"</?[a-z]+[^>]*>")
    wrong = [
        label(e)
        for e in entries
        for text in e["msgstr"].values()
        if sorted(tags.findall(text)) != sorted(tags.findall(e["msgid"]))
    ]
    assert wrong == [], f"{language}: HTML tags differ: {wrong}"


def test_compiled_catalogue_matches_the_po_file(catalogue):
    """The committed .mo is what Django reads: it must be rebuilt after every .po change."""
    language, _header, entries = catalogue
    mo = po_path(language).with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run `fabrika compilemessages`"
    with mo.open("rb") as fp:
        compiled = gettext.GNUTranslations(fp)._catalog
    stale = []
    for e in entries:
        prefix = e["msgctxt"] + "\x04" if "msgctxt" in e else ""
        if "msgid_plural" in e:
            for index, text in e["msgstr"].items():
                if compiled.get((prefix + e["msgid"], index)) != text:
                    stale.append(label(e))
        elif compiled.get(prefix + e["msgid"]) != e["msgstr"][None]:
            stale.append(label(e))
    assert stale == [], f"{mo} is older than the .po file (run `fabrika compilemessages`): {stale[:20]}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("msgid", sorted(REQUIRED))
def test_required_renderings(language, msgid):
    with translation.override(language):
        assert translation.gettext(msgid) == REQUIRED[msgid][language]


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "1 открытая сделка"),
        (2, "2 открытые сделки"),
        (5, "5 открытых сделок"),
        (11, "11 открытых сделок"),
        (21, "21 открытая сделка"),
        (24, "24 открытые сделки"),
    ],
)
def test_russian_plural_forms(n, expected):
    with translation.override("ru"):
        text = translation.ngettext("%(n)s open deal", "%(n)s open deals", n) % {"n": n}
    assert text == expected


@pytest.mark.parametrize(
    ("n", "expected"), [(0, "0 affaire ouverte"), (1, "1 affaire ouverte"), (2, "2 affaires ouvertes")]
)
def test_french_plural_forms(n, expected):
    with translation.override("fr"):
        text = translation.ngettext("%(n)s open deal", "%(n)s open deals", n) % {"n": n}
    assert text == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "counterparties", "deals", "home"),
    [("fr", "Contreparties", "Affaires", "Accueil"), ("ru", "Контрагенты", "Сделки", "Главная")],
)
@pytest.mark.parametrize("url", ["/", "/crm/counterparties/"])
def test_pages_speak_the_users_language(client, language, counterparties, deals, home, url):
    sign_in(client, make_user(f"user_{language}", "sales_manager", language=language))

    response = client.get(url)

    assert response.status_code == 200
    assert response.headers["Content-Language"] == language
    text = html.unescape(response.content.decode())
    assert f'<html lang="{language}">' in text
    for word in (counterparties, deals, home):
        assert word in text
    for english in ("Counterparties", "Deals", "Home", "My day", "Sign out"):
        assert english not in text


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "sign_in_label"), [("fr", "Se connecter"), ("ru", "Войти"), ("en", "Sign in")])
def test_sign_in_page_follows_the_browser_language(client, language, sign_in_label):
    text = html.unescape(client.get("/access/login/", headers={"accept-language": language}).content.decode())

    assert f"<title>{sign_in_label} · Fabrika</title>" in text
