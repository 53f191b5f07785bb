"""Plugin settings: a declared schema, strict validation, and secrets encrypted at rest.

A plugin declares its settings as a tuple of ``Setting``. The dashboard and admin build their
forms from it; ``clean_settings`` is the one place values are checked, whoever submits them.
Secret values (API keys, webhook secrets) are stored encrypted with a key derived from the
app's ``SECRET_KEY`` (HKDF-SHA256 → Fernet), are never sent back to a browser and are never
logged: pages show them masked and an empty submission keeps the stored value.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask_babel import lazy_gettext as _l

from ..errors import ValidationError

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
MASK = "••••••••"
URL_PATTERN = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


class SettingType(StrEnum):
    TEXT = "text"          # one line
    TEXTAREA = "textarea"  # several lines
    INTEGER = "integer"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    URL = "url"
    SECRET = "secret"  # noqa: S105 (a type name) — encrypted at rest, never rendered


@dataclass(frozen=True)
class Setting:
    """One setting of a plugin.

    ``label`` and ``help`` are shown on the form (plugins translate them themselves);
    ``choices`` is a tuple of ``(value, label)`` for ``CHOICE``; ``minimum``/``maximum`` bound
    an ``INTEGER``; ``max_length`` bounds text, URLs and secrets; ``pattern`` is a regular
    expression a ``TEXT`` value must match whole (say what it expects in ``help``).
    """

    key: str
    type: SettingType | str = SettingType.TEXT
    label: str = ""
    help: str = ""
    required: bool = False
    default: Any = None
    choices: tuple[tuple[str, str], ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    max_length: int = 500
    pattern: str | None = None

    def __post_init__(self) -> None:
        if not KEY_PATTERN.match(self.key):
            raise ValueError(f"setting key {self.key!r} must match {KEY_PATTERN.pattern}")
        object.__setattr__(self, "type", SettingType(self.type))
        object.__setattr__(self, "choices", tuple(tuple(c) for c in self.choices))
        if self.type == SettingType.CHOICE and not self.choices:
            raise ValueError(f"setting {self.key!r}: a choice needs choices")
        if self.type == SettingType.SECRET and self.default is not None:
            raise ValueError(f"setting {self.key!r}: a secret cannot have a default")

    @property
    def is_secret(self) -> bool:
        return self.type == SettingType.SECRET


def check_schema(schema: tuple[Setting, ...]) -> None:
    keys = [s.key for s in schema]
    if len(keys) != len(set(keys)):
        raise ValueError(f"duplicate setting keys in {keys}")
    for setting in schema:
        if not isinstance(setting, Setting):
            raise TypeError(f"settings must be Setting objects, got {setting!r}")


def defaults(schema: tuple[Setting, ...]) -> dict[str, Any]:
    return {s.key: s.default for s in schema if not s.is_secret and s.default is not None}


def _clean_one(setting: Setting, raw: Any) -> Any:
    """Return the typed value, ``None`` for "not given", or raise ``ValueError`` (a message)."""
    kind = setting.type
    if kind == SettingType.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        if raw in (None, ""):
            return False
        if isinstance(raw, str) and raw.lower() in {"true", "1", "on", "yes", "y"}:
            return True
        if isinstance(raw, str) and raw.lower() in {"false", "0", "off", "no", "n"}:
            return False
        raise ValueError(_l("Must be true or false."))
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    if kind == SettingType.INTEGER:
        if isinstance(raw, bool):
            raise ValueError(_l("Must be a whole number."))
        try:
            value = int(raw.strip()) if isinstance(raw, str) else raw
        except ValueError:
            raise ValueError(_l("Must be a whole number.")) from None
        if not isinstance(value, int):
            raise ValueError(_l("Must be a whole number."))
        if setting.minimum is not None and value < setting.minimum:
            raise ValueError(_l("Must be at least %(n)d.", n=setting.minimum))
        if setting.maximum is not None and value > setting.maximum:
            raise ValueError(_l("Must be at most %(n)d.", n=setting.maximum))
        return value
    if not isinstance(raw, str):
        raise ValueError(_l("Must be text."))
    value = raw if kind in (SettingType.TEXTAREA, SettingType.SECRET) else raw.strip()
    if len(value) > setting.max_length:
        raise ValueError(_l("At most %(n)d characters.", n=setting.max_length))
    if kind in (SettingType.TEXT, SettingType.URL) and ("\n" in value or "\r" in value):
        raise ValueError(_l("Must be one line."))
    if setting.pattern and kind == SettingType.TEXT and not re.fullmatch(setting.pattern,
                                                                         value):
        raise ValueError(_l("Not in the expected form."))
    if kind == SettingType.CHOICE and value not in {c[0] for c in setting.choices}:
        raise ValueError(_l("Not one of the choices."))
    if kind == SettingType.URL and not URL_PATTERN.match(value):
        raise ValueError(_l("Must be an http(s) address."))
    return value


def clean_settings(schema: tuple[Setting, ...], data: dict[str, Any], *,
                   current: dict[str, Any] | None = None,
                   stored_secrets: frozenset[str] = frozenset()) -> tuple[dict, dict]:
    """Validate submitted values against ``schema``; return ``(plain, secrets)``.

    Unknown keys are refused (a typo must not be saved silently). A secret left empty keeps
    its stored value (the form never has it to send back); a required secret is satisfied by
    a stored one. Raises ``ValidationError`` listing every bad field, and changes nothing.
    """
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(data) - {s.key for s in schema})
    for key in unknown:
        errors[key] = [_l("Unknown setting.")]
    plain: dict[str, Any] = {}
    secrets: dict[str, str] = {}
    for setting in schema:
        try:
            value = _clean_one(setting, data.get(setting.key))
        except ValueError as exc:
            errors[setting.key] = [exc.args[0]]
            continue
        if setting.is_secret:
            if value is not None:
                secrets[setting.key] = value
            elif setting.required and setting.key not in stored_secrets:
                errors[setting.key] = [_l("This field is required.")]
            continue
        if value is None:
            if setting.required:
                errors[setting.key] = [_l("This field is required.")]
                continue
            value = setting.default
        if value is not None:
            plain[setting.key] = value
    if errors:
        raise ValidationError(_l("Some settings are not valid."), fields=errors)
    return plain, secrets


# -- secrets at rest -------------------------------------------------------------------------

def _fernet(secret_key: str) -> Fernet:
    # A key of its own for plugin settings: leaking it tells nothing about sessions or tokens.
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"marketplace plugin settings v1").derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_secrets(secret_key: str, values: dict[str, str]) -> str | None:
    if not values:
        return None
    return _fernet(secret_key).encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def decrypt_secrets(secret_key: str, token: str | None) -> dict[str, str]:
    if not token:
        return {}
    try:
        return json.loads(_fernet(secret_key).decrypt(token.encode()))
    except InvalidToken:
        # The SECRET_KEY changed: the values are unreadable, and saying so beats a 500.
        raise ValidationError(_l("Stored secret settings cannot be decrypted (was the secret "
                                 "key changed?). Enter them again.")) from None


def masked(schema: tuple[Setting, ...], plain: dict, stored_secrets: frozenset[str]) -> dict:
    """What a page or an API response may show: plain values, and secrets as a mask."""
    shown = {}
    for setting in schema:
        if setting.is_secret:
            shown[setting.key] = MASK if setting.key in stored_secrets else ""
        else:
            shown[setting.key] = plain.get(setting.key, setting.default)
    return shown
