"""docs/plugins.md stays true to the code, and every hook is tested (after Datasette's
test_docs.py): a new or changed hook fails here until its reference entry and a test exist."""

from __future__ import annotations

import dataclasses
import inspect
import re
from pathlib import Path

import pytest

from marketplace import PROJECT_ROOT
from marketplace.plugins import PluginInfo, Setting, hookspecs, providers
from marketplace.plugins.manager import PluginPlatform
from marketplace.plugins.storefront import SLOTS

ROOT = Path(PROJECT_ROOT)
PLUGINS_DOC = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
THEMES_DOC = (ROOT / "docs" / "themes.md").read_text(encoding="utf-8")
HOOKS = PluginPlatform.hook_names()
PROVIDERS = [providers.PaymentProvider, providers.Carrier, providers.SlotSource,
             providers.CodeFormat, providers.CodeKind,
             providers.PayoutMethod, providers.ProviderRegistry]


def signature_line(name: str, function) -> str:
    return f"def {name}{inspect.signature(function)}".replace("'", "")


def documented_signature(name: str) -> str | None:
    found = re.search(rf"^### {name}\n\n```python\n(.+?)\n```", PLUGINS_DOC, re.MULTILINE)
    return found.group(1) if found else None


def test_there_are_hooks_to_check():
    assert len(HOOKS) >= 20


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_has_a_reference_entry_with_its_exact_signature(name):
    assert documented_signature(name) == signature_line(name, getattr(hookspecs, name))


def test_the_reference_documents_no_hook_that_does_not_exist():
    documented = set(re.findall(r"^### (marketplace_\w+)$", PLUGINS_DOC, re.MULTILINE))
    assert documented == set(HOOKS)


@pytest.mark.parametrize("name", HOOKS)
def test_every_hookspec_says_when_what_and_shows_how(name):
    doc = inspect.getdoc(getattr(hookspecs, name)) or ""
    assert re.search(r"\bcalled\b", doc, re.IGNORECASE), f"{name}: when is it called?"
    assert re.search(r"\breturns?\b", doc, re.IGNORECASE), f"{name}: what does it return?"
    assert "Example::" in doc and "@hookimpl" in doc, f"{name}: no example"


@pytest.mark.parametrize("cls", PROVIDERS, ids=lambda c: c.__name__)
def test_every_provider_method_is_documented_with_its_signature(cls):
    assert f"### {cls.__name__}" in PLUGINS_DOC
    for name, member in vars(cls).items():
        if callable(member) and not name.startswith("_"):
            assert signature_line(name, member) in PLUGINS_DOC, f"{cls.__name__}.{name}"


@pytest.mark.parametrize("cls", [PluginInfo, Setting, providers.SlotQuery, providers.BusyTime,
                                 providers.TakenSlot, providers.DeliveryRequest,
                                 providers.DeliveryQuote, providers.ShipmentInfo,
                                 providers.TrackingUpdate], ids=lambda c: c.__name__)
def test_metadata_fields_are_documented(cls):
    for field in dataclasses.fields(cls):
        assert f"{field.name}: {field.type}" in PLUGINS_DOC, f"{cls.__name__}.{field.name}"


def _test_sources() -> str:
    files = [p for p in (ROOT / "tests").rglob("*.py") if "meta" not in p.parts]
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


TEST_SOURCES = _test_sources()


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_has_a_test(name):
    # A test function named after the hook, or a test dispatching it by name.
    assert re.search(rf"def test_{name}\b", TEST_SOURCES) or \
        re.search(rf"[\"']{name}[\"']", TEST_SOURCES), f"no test calls {name}"


@pytest.mark.parametrize("slot", sorted(SLOTS))
def test_every_slot_is_documented_for_plugin_and_theme_authors(slot):
    assert f"`{slot}`" in PLUGINS_DOC and f"`{slot}`" in THEMES_DOC
