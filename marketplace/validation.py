"""Small input checks shared by the services; each raises ``ValidationError`` naming the field."""

from __future__ import annotations

import re
import unicodedata

from email_validator import EmailNotValidError
from email_validator import validate_email as _validate_email
from flask_babel import lazy_gettext as _l

from .errors import ValidationError

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PHONE_RE = re.compile(r"^\+?[0-9 ().-]{6,20}$")


def fold_vietnamese(text: str) -> str:
    """Strip diacritics, folding đ/Đ (which Unicode does not decompose) to d/D."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def slugify(text: str, max_length: int = 80) -> str:
    ascii_text = fold_vietnamese(text).lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return slug[:max_length].strip("-")


def required_text(value, field: str, *, max_length: int, min_length: int = 1) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value)
    if len(text) < min_length:
        raise ValidationError.field(field, _l("This field is required."))
    if len(text) > max_length:
        raise ValidationError.field(field, _l("At most %(n)d characters.", n=max_length))
    return text


def optional_text(value, field: str, *, max_length: int) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > max_length:
        raise ValidationError.field(field, _l("At most %(n)d characters.", n=max_length))
    return text


def valid_slug(value, field: str = "slug", *, max_length: int = 80) -> str:
    slug = (value or "").strip().lower()
    if not SLUG_RE.match(slug) or len(slug) > max_length:
        raise ValidationError.field(
            field, _l("Use lowercase letters, digits and single hyphens (at most %(n)d).",
                      n=max_length))
    return slug


def valid_email(value, field: str = "email") -> str:
    try:
        result = _validate_email((value or "").strip(), check_deliverability=False)
    except EmailNotValidError:
        raise ValidationError.field(field, _l("Enter a valid e-mail address.")) from None
    return result.normalized.lower()


def valid_phone(value, field: str = "phone") -> str | None:
    phone = (value or "").strip()
    if not phone:
        return None
    if not PHONE_RE.match(phone):
        raise ValidationError.field(field, _l("Enter a valid phone number."))
    return phone


def valid_int(value, field: str, *, minimum: int | None = None, maximum: int | None = None,
              required: bool = True) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError.field(field, _l("This field is required."))
        return None
    if isinstance(value, bool):
        raise ValidationError.field(field, _l("Enter a whole number."))
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise ValidationError.field(field, _l("Enter a whole number.")) from None
    if minimum is not None and number < minimum:
        raise ValidationError.field(field, _l("Must be at least %(n)d.", n=minimum))
    if maximum is not None and number > maximum:
        raise ValidationError.field(field, _l("Must be at most %(n)d.", n=maximum))
    return number
