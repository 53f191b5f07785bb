"""Plugin metadata, settings validation, secrets at rest, provider registries."""

from __future__ import annotations

import pytest

from marketplace.errors import NotFound, ValidationError
from marketplace.plugins import PaymentProvider, PluginInfo, Setting
from marketplace.plugins.providers import DuplicateProvider, ProviderRegistry
from marketplace.plugins.settings import (
    MASK,
    clean_settings,
    decrypt_secrets,
    encrypt_secrets,
    masked,
)
from tests.support.plugin_dirs.duplicate._cash import Cash

SCHEMA = (
    Setting("greeting", required=True),
    Setting("days", type="integer", minimum=1, maximum=60, default=7),
    Setting("loud", type="boolean"),
    Setting("mode", type="choice", choices=(("a", "A"), ("b", "B"))),
    Setting("hook_url", type="url"),
    Setting("notes", type="textarea", max_length=20),
    Setting("api_key", type="secret", required=True),
)


def errors_of(data, **kwargs) -> dict:
    with pytest.raises(ValidationError) as caught:
        clean_settings(SCHEMA, data, **kwargs)
    return {k: [str(m) for m in v] for k, v in caught.value.fields.items()}


def test_valid_settings_are_typed_and_secrets_split_off():
    plain, secrets = clean_settings(SCHEMA, {
        "greeting": "  Xin chào ", "days": "14", "loud": "on", "mode": "b",
        "hook_url": "https://example.vn/hook", "notes": "a\nb", "api_key": "sk_live_123"})
    assert plain == {"greeting": "Xin chào", "days": 14, "loud": True, "mode": "b",
                     "hook_url": "https://example.vn/hook", "notes": "a\nb"}
    assert secrets == {"api_key": "sk_live_123"}


def test_defaults_fill_what_is_left_out():
    plain, _ = clean_settings(SCHEMA, {"greeting": "Hi", "api_key": "k"})
    assert plain["days"] == 7 and plain["loud"] is False and "mode" not in plain


@pytest.mark.parametrize(("data", "field"), [
    ({"days": "0"}, "days"), ({"days": "61"}, "days"), ({"days": "two"}, "days"),
    ({"days": True}, "days"), ({"loud": "maybe"}, "loud"), ({"mode": "c"}, "mode"),
    ({"hook_url": "javascript:alert(1)"}, "hook_url"), ({"notes": "x" * 21}, "notes"),
    ({"greeting": "two\nlines"}, "greeting"), ({"greeting": ["a"]}, "greeting"),
])
def test_each_bad_value_is_named(data, field):
    errors = errors_of({"greeting": "Hi", "api_key": "k"} | data)
    assert list(errors) == [field]


def test_unknown_and_missing_required_settings_are_refused_together():
    errors = errors_of({"greting": "typo"})
    assert set(errors) == {"greting", "greeting", "api_key"}


def test_an_empty_secret_keeps_the_stored_one():
    plain, secrets = clean_settings(SCHEMA, {"greeting": "Hi", "api_key": ""},
                                    stored_secrets=frozenset({"api_key"}))
    assert secrets == {} and plain["greeting"] == "Hi"


def test_secrets_are_encrypted_and_need_the_same_key():
    token = encrypt_secrets("key-one", {"api_key": "sk_live_123"})
    assert "sk_live_123" not in token
    assert decrypt_secrets("key-one", token) == {"api_key": "sk_live_123"}
    with pytest.raises(ValidationError):
        decrypt_secrets("key-two", token)
    assert encrypt_secrets("key-one", {}) is None and decrypt_secrets("key-one", None) == {}


def test_masked_view_never_contains_a_secret():
    shown = masked(SCHEMA, {"greeting": "Hi"}, frozenset({"api_key"}))
    assert shown["api_key"] == MASK and shown["greeting"] == "Hi" and shown["days"] == 7
    assert masked(SCHEMA, {}, frozenset())["api_key"] == ""


@pytest.mark.parametrize("kwargs", [
    {"name": "Bad Name", "version": "1.0"},
    {"name": "ok_name", "version": "not a version"},
    {"name": "ok_name", "version": "1.0", "core_versions": "~~1"},
    {"name": "ok_name", "version": "1.0", "level": "galaxy"},
    {"name": "ok_name", "version": "1.0", "merchant_settings": (Setting("a"), Setting("a"))},
])
def test_bad_plugin_metadata_is_refused(kwargs):
    with pytest.raises(ValueError):
        PluginInfo(**kwargs)


def test_bad_setting_declarations_are_refused():
    with pytest.raises(ValueError):
        Setting("Bad-Key")
    with pytest.raises(ValueError):
        Setting("mode", type="choice")
    with pytest.raises(ValueError):
        Setting("api_key", type="secret", default="leaked")


def test_core_version_compatibility():
    info = PluginInfo(name="ok_name", version="1.0", core_versions=">=0.1,<1")
    assert info.supports_core("0.1.0") and info.supports_core("0.9.3")
    assert not info.supports_core("1.0.0")


def test_registry_refuses_duplicates_and_foreign_objects():
    registry = ProviderRegistry("payment provider", PaymentProvider)
    registry.register(Cash(), plugin="one")
    assert registry.get("cash").plugin == "one" and "cash" in registry and len(registry) == 1
    with pytest.raises(DuplicateProvider, match="one.*two"):
        registry.register(Cash(), plugin="two")
    with pytest.raises(TypeError):
        registry.register(object(), plugin="two")
    with pytest.raises(NotFound):
        registry.get("card")


def test_providers_cannot_be_made_without_their_operations():
    class Half(PaymentProvider):
        identifier = "half"

        def prepare(self, payment, **context):
            return {}

    with pytest.raises(TypeError):
        Half()
