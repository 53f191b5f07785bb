"""The small input checks every service uses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.errors import ValidationError
from marketplace.validation import (
    SLUG_RE,
    fold_vietnamese,
    optional_text,
    required_text,
    slugify,
    valid_email,
    valid_int,
    valid_phone,
    valid_slug,
)


@pytest.mark.parametrize(("text", "folded"), [
    ("Đường Nguyễn Huệ", "Duong Nguyen Hue"), ("phở bò", "pho bo"), ("đ Đ", "d D"),
    ("Cà phê sữa đá", "Ca phe sua da"), ("ABC", "ABC"),
])
def test_fold_vietnamese(text, folded):
    assert fold_vietnamese(text) == folded


@pytest.mark.parametrize(("text", "slug"), [
    ("Cửa hàng Đồng Khởi", "cua-hang-dong-khoi"), ("  --Áo  thun!! ", "ao-thun"),
    ("100% Cotton", "100-cotton"), ("!!!", ""),
])
def test_slugify(text, slug):
    assert slugify(text) == slug


@given(st.text(max_size=200))
def test_slugify_always_gives_a_valid_slug_or_nothing(text):
    slug = slugify(text, max_length=40)
    assert slug == "" or (SLUG_RE.match(slug) and len(slug) <= 40)


@pytest.mark.parametrize("value", ["Bad Slug", "a--b", "-a", "a-", "", None, "ư", "a" * 81])
def test_invalid_slugs(value):
    with pytest.raises(ValidationError) as info:
        valid_slug(value)
    assert "slug" in info.value.fields


def test_valid_slug_is_lowercased():
    assert valid_slug(" Quan-1 ") == "quan-1"


def test_email_is_normalized_and_checked():
    assert valid_email("  An.Nguyen@Example.VN ") == "an.nguyen@example.vn"
    for bad in ["", None, "an", "an@", "an@@example.vn", "an example@x.vn"]:
        with pytest.raises(ValidationError):
            valid_email(bad)


def test_phone():
    assert valid_phone(" +84 28 3822 1234 ") == "+84 28 3822 1234"
    assert valid_phone("") is None
    with pytest.raises(ValidationError):
        valid_phone("gọi tôi")


def test_text_lengths():
    assert required_text("  Phở  ", "name", max_length=10) == "Phở"
    assert optional_text("   ", "note", max_length=5) is None
    with pytest.raises(ValidationError):
        required_text("   ", "name", max_length=10)
    with pytest.raises(ValidationError):
        required_text("x" * 11, "name", max_length=10)
    with pytest.raises(ValidationError):
        optional_text("x" * 6, "note", max_length=5)


@pytest.mark.parametrize(("value", "expected"), [("12", 12), (" 7 ", 7), (3, 3), ("-2", -2)])
def test_valid_int(value, expected):
    assert valid_int(value, "n") == expected


@pytest.mark.parametrize("value", ["1.5", "abc", True, None, "", 0, 11])
def test_valid_int_refuses(value):
    with pytest.raises(ValidationError) as info:
        valid_int(value, "n", minimum=1, maximum=10)
    assert "n" in info.value.fields


def test_valid_int_optional():
    assert valid_int("", "n", required=False) is None
