"""The Vietnamese catalog covers the whole interface and keeps every placeholder intact.

A developer who adds or changes a user-visible string runs ``make translations`` (extract,
then ``pybabel update``), translates the new msgids in
``marketplace/translations/vi/LC_MESSAGES/messages.po`` and runs ``make test`` (which
compiles the catalog first). These tests say which msgids still need a translation.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "marketplace" / "translations"
PO = TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
# The same keywords and ignored directories as `make translations` (pybabel extract -k _l
# -k lazy_gettext --ignore-dirs '.* ._ node_modules build dist').
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
IGNORED_DIRS = {"node_modules", "build", "dist"}
# A printf-style conversion as Python's % operator reads it (Jinja's newstyle gettext
# applies % to every template string, even one without variables).
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]?(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?"
                         r"[diouxXeEfFgGcrs%]")
HOW_TO_FIX = ("run `make translations`, translate these msgids in "
              f"{PO.relative_to(ROOT)} and run `make test` again")


@pytest.fixture(scope="module")
def catalog():
    assert PO.is_file(), f"{PO.relative_to(ROOT)} is missing: {HOW_TO_FIX}"
    with PO.open("rb") as f:
        return read_po(f, locale="vi")


def _keep_directory(path: str) -> bool:
    name = os.path.basename(path)
    return not (name.startswith((".", "_")) or name in IGNORED_DIRS)


def _source_messages() -> dict[tuple[object, str | None], list[str]]:
    """Every message the interface uses, extracted from the source as babel.cfg says."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f, str(ROOT / "babel.cfg"))
    found: dict[tuple[object, str | None], list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            ROOT, method_map, options_map, keywords=KEYWORDS, directory_filter=_keep_directory):
        found.setdefault((message, context), []).append(f"{filename}:{lineno}")
    return found


def _strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, (list, tuple)) \
        else [message.string]


def _ids(message) -> list[str]:
    return list(message.id) if isinstance(message.id, (list, tuple)) else [message.id]


def _translated(message) -> bool:
    strings = _strings(message)
    return bool(strings) and all(strings) and not message.fuzzy


def test_every_source_message_has_a_vietnamese_translation(catalog):
    missing = []
    for (msgid, context), where in sorted(_source_messages().items(), key=lambda i: i[1][0]):
        message = catalog.get(msgid, context)
        if message is None or not _translated(message):
            missing.append(f"  {msgid!r}  ({where[0]})")
    assert not missing, (f"{len(missing)} message(s) without a Vietnamese translation: "
                         f"{HOW_TO_FIX}.\n" + "\n".join(missing))


def test_catalog_is_complete_and_has_one_plural_form(catalog):
    assert catalog.num_plurals == 1
    untranslated = [m.id for m in catalog if m.id and not _translated(m)]
    assert not untranslated, f"untranslated or fuzzy entries: {untranslated}"
    for message in catalog:
        if message.id and message.pluralizable:
            assert len(_strings(message)) == 1, message.id


def test_babel_finds_no_errors_in_the_catalog(catalog):
    problems = [f"  {message.id!r}: {'; '.join(map(str, errors))}"
                for message, errors in catalog.check()]
    assert not problems, "babel's catalog checks failed:\n" + "\n".join(problems)


def _tokens(text: str) -> tuple[Counter, int]:
    """The placeholders of ``text`` (named ones once each, ``%%`` counted) and the number
    of stray ``%`` signs that are no placeholder (a literal % in a string nobody formats)."""
    named, escapes = set(), 0
    for match in PLACEHOLDER.finditer(text):
        if match.group(0) == "%%":
            escapes += 1
        else:
            named.add(match.group(0))
    stray = PLACEHOLDER.sub("", text).count("%")
    return Counter(named) + Counter({"%%": escapes}), stray


def test_translations_keep_every_placeholder(catalog):
    """Same placeholders (name and conversion) and same ``%%``/``%`` as the English text:
    a renamed or lost ``%(name)s`` raises KeyError or drops data at runtime, and a bare
    ``%`` breaks a template string."""
    wrong = []
    for message in catalog:
        if not message.id:
            continue
        ids = _ids(message)
        expected, stray = _tokens(ids[-1])  # the plural form names every placeholder
        if len(ids) > 1:
            expected |= _tokens(ids[0])[0]
        for string in _strings(message):
            got, got_stray = _tokens(string)
            if set(got) != set(expected) or got["%%"] != expected["%%"] or got_stray != stray:
                wrong.append(f"  {ids[0]!r} -> {string!r}")
    assert not wrong, "placeholders differ between msgid and msgstr:\n" + "\n".join(wrong)


@pytest.fixture(scope="module")
def compiled_catalog(catalog):
    """``make test`` compiles the catalog first; a bare ``pytest`` run compiles it here when
    the .mo is missing or older than the .po (the .mo is not in git)."""
    if not MO.is_file() or MO.stat().st_mtime < PO.stat().st_mtime:
        fd, tmp = tempfile.mkstemp(dir=MO.parent, suffix=".mo.tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                write_mo(f, catalog)
            os.chmod(tmp, 0o644)  # mkstemp makes it private; `pybabel compile` does not
            os.replace(tmp, MO)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    return MO


def test_login_page_is_shown_in_vietnamese(app, make_app, compiled_catalog):
    # A new app: the session's ``app`` may have cached "no translations" before the .mo
    # existed (Flask-Babel keeps loaded catalogs per application). ``app`` made the schema.
    fresh = make_app()
    client = fresh.test_client()
    html = client.get("/login", headers={"Accept-Language": "vi"}).get_data(as_text=True)
    assert 'lang="vi"' in html
    assert "Đăng nhập" in html and "Mật khẩu" in html
    assert "Log in" not in html and "Password" not in html

    english = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Log in" in english and "Đăng nhập" not in english
